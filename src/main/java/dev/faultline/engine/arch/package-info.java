/**
 * The transformer forward pass (Llama family, Qwen3, OLMo-2/3, GPT-2) on DJL NDArrays, with the AttnLRP rules as
 * stop-gradient rewrites and the zero "probe" leaves through which one backward pass yields every relevance.
 */
package dev.faultline.engine.arch;
