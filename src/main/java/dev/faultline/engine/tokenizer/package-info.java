/** The model's tokenizer from its {@code tokenizer.json} (DJL's Hugging Face tokenizers binding, truncation off). */
package dev.faultline.engine.tokenizer;
