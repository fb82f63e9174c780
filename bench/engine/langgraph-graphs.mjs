/**
 * The LangGraph.js graphs that mirror the flockflow workflows: a 1,000-node sequential StateGraph
 * and a 100-way fan-out into one join node. Static edges from one node to many run the targets in
 * one superstep; `addEdge([...names], "join")` makes `join` wait until all of them have written.
 */
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";

/** Each chain node reads the counter and returns the incremented value (a last-value channel). */
const ChainState = Annotation.Root({ count: Annotation() });

export function langgraphChain(count) {
  const graph = new StateGraph(ChainState);
  for (let i = 0; i < count; i++) graph.addNode(`n${i}`, (state) => ({ count: state.count + 1 }));
  graph.addEdge(START, "n0");
  for (let i = 1; i < count; i++) graph.addEdge(`n${i - 1}`, `n${i}`);
  graph.addEdge(`n${count - 1}`, END);
  return graph.compile();
}

/** Siblings write in the same superstep, so the counter needs a reducer. */
const FanOutState = Annotation.Root({ count: Annotation({ reducer: (a, b) => a + b, default: () => 0 }) });

export function langgraphFanOut(width) {
  const graph = new StateGraph(FanOutState);
  const names = Array.from({ length: width }, (_, i) => `s${i}`);
  graph.addNode("start", () => ({ count: 1 }));
  for (const name of names) graph.addNode(name, () => ({ count: 1 }));
  graph.addNode("join", () => ({ count: 1 }));
  graph.addEdge(START, "start");
  for (const name of names) graph.addEdge("start", name);
  graph.addEdge(names, "join");
  graph.addEdge("join", END);
  return graph.compile();
}
