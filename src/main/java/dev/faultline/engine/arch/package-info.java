/**
 * The transformer forward pass (Llama family, Qwen3, OLMo-2/3, GPT-2) on DJL NDArrays, with the AttnLRP rules as
 * stop-gradient rewrites and the zero "probe" leaves through which one backward pass yields every relevance
 * ({@code Transformer}); the attention rows the attribution graph reads ({@code AttentionRows}); and the norms,
 * projections, RoPE and masks both share ({@code Ops}).
 */
package dev.faultline.engine.arch;
