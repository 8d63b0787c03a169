/**
 * Failures compared across models and benchmarks: the per-example read-model ({@link dev.faultline.compare.CompareIndex}),
 * the comparison of model revisions on one benchmark and of benchmarks for one model revision
 * ({@link dev.faultline.compare.Comparisons}), relevance on characters for models with different tokenizers
 * ({@link dev.faultline.compare.CharRelevance}) and the scoring of one model's failures on another
 * ({@link dev.faultline.compare.CrossScorer}).
 */
package dev.faultline.compare;
