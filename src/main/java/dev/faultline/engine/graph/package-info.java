/**
 * Cross-layer attribution graphs (docs/engine.md): nodes are (layer, token) states of the residual stream,
 * edges the gradient×input of one sub-layer's output row, computed B rows per pass (in closed form for attention
 * blocks, equal to one backward pass over the input repeated B times) and pruned while they are computed, so a graph
 * over thousands of tokens never holds a dense T×T matrix — neither of edges nor, once the input outgrows the memory
 * budget, of attention scores: the forward and the global backward then run the attention blocks a chunk of query
 * rows at a time ({@code GraphBuilder.queryChunk}). {@code GraphBuilder} orders the steps; {@code GraphPasses} runs
 * them, {@code GraphBudget} sizes them and {@code GraphAssembly} prunes and assembles the graph.
 */
package dev.faultline.engine.graph;
