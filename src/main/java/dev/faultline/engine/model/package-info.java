/**
 * Reading Hugging Face checkpoint directories: {@code config.json} with each family's defaults, safetensors files
 * (single or sharded, F32/F64/F16/BF16) and the mapping of tensor names onto the forward pass's weight layout.
 */
package dev.faultline.engine.model;
