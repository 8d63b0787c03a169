/** What the model was fed: chat conversations rendered with the model's own chat template. */
package dev.faultline.prompt;
