import { graphlib, layout } from '@dagrejs/dagre';
import type { AslDefinition, AslState } from './api.ts';

/**
 * The state-machine graph of a run page, laid out from its ASL definition by dagre: one node per
 * state (nested Map and Parallel states inside a box under their parent, named by their path
 * `Parent/Child`), an edge per transition (Next, Default, each Choice, each Catch), and the start
 * and end markers Step Functions' console draws.
 */

export interface GraphNode {
  /** the state's path: its name, or `Parent/Child` inside a Map or Parallel */
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** a box around a Map's or Parallel's states */
  readonly cluster?: boolean;
  readonly marker?: 'start' | 'end';
}

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: 'next' | 'choice' | 'catch' | 'nested';
  readonly points: ReadonlyArray<{ x: number; y: number }>;
}

export interface LaidOutGraph {
  readonly nodes: GraphNode[];
  readonly edges: GraphEdge[];
  readonly width: number;
  readonly height: number;
}

const START = '__start__';
const END = '__end__';
const NODE_HEIGHT = 34;
const nodeWidth = (name: string) => Math.max(90, Math.min(260, 16 + name.length * 7.2));

/** Children definitions of a state: a Map's processor, a Parallel's branches. */
function nested(state: AslState): AslDefinition[] {
  if (state.ItemProcessor) return [state.ItemProcessor];
  if (state.Iterator) return [state.Iterator];
  return state.Branches ?? [];
}

export function layoutDefinition(definition: AslDefinition): LaidOutGraph {
  const g = new graphlib.Graph({ compound: true, multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 36, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  const info = new Map<string, { name: string; type: string; cluster?: boolean; marker?: 'start' | 'end' }>();
  const kinds = new Map<string, GraphEdge['kind']>();
  let edgeCount = 0;

  const addNode = (id: string, name: string, type: string, parent?: string) => {
    g.setNode(id, { width: nodeWidth(name), height: NODE_HEIGHT });
    info.set(id, { name, type });
    if (parent) g.setParent(id, parent);
  };
  const addEdge = (from: string, to: string, kind: GraphEdge['kind']) => {
    const name = `e${edgeCount++}`;
    g.setEdge(from, to, {}, name);
    kinds.set(name, kind);
  };

  const walk = (def: AslDefinition, prefix: string, parent?: string) => {
    const id = (name: string) => (prefix ? `${prefix}/${name}` : name);
    for (const [name, state] of Object.entries(def.States ?? {})) {
      addNode(id(name), name, state.Type, parent);
    }
    for (const [name, state] of Object.entries(def.States ?? {})) {
      const from = id(name);
      if (state.Next && def.States[state.Next]) addEdge(from, id(state.Next), 'next');
      if (state.Default && def.States[state.Default]) addEdge(from, id(state.Default), 'choice');
      for (const c of state.Choices ?? [])
        if (c.Next && def.States[c.Next]) addEdge(from, id(c.Next), 'choice');
      for (const c of state.Catch ?? []) if (c.Next && def.States[c.Next]) addEdge(from, id(c.Next), 'catch');
      const children = nested(state);
      children.forEach((child, i) => {
        const box = `${from}#${i}`;
        g.setNode(box, {});
        info.set(box, {
          name: children.length > 1 ? `branch ${i + 1}` : 'items',
          type: 'cluster',
          cluster: true,
        });
        if (parent) g.setParent(box, parent);
        walk(child, from, box);
        if (child.StartAt && child.States?.[child.StartAt])
          addEdge(from, `${from}/${child.StartAt}`, 'nested');
      });
    }
  };

  walk(definition, '');
  g.setNode(START, { width: 22, height: 22 });
  info.set(START, { name: 'Start', type: 'marker', marker: 'start' });
  g.setNode(END, { width: 22, height: 22 });
  info.set(END, { name: 'End', type: 'marker', marker: 'end' });
  if (definition.States?.[definition.StartAt]) addEdge(START, definition.StartAt, 'next');
  for (const [name, state] of Object.entries(definition.States ?? {})) {
    if (state.End || state.Type === 'Succeed' || state.Type === 'Fail') addEdge(name, END, 'next');
  }

  layout(g);

  const nodes: GraphNode[] = g.nodes().map((id) => {
    const n = g.node(id) as { x: number; y: number; width: number; height: number };
    const i = info.get(id)!;
    return {
      id,
      name: i.name,
      type: i.type,
      x: n.x,
      y: n.y,
      width: n.width,
      height: n.height,
      ...(i.cluster ? { cluster: true } : {}),
      ...(i.marker ? { marker: i.marker } : {}),
    };
  });
  const edges: GraphEdge[] = g.edges().map((e) => {
    const label = g.edge(e) as { points?: Array<{ x: number; y: number }> };
    return { from: e.v, to: e.w, kind: kinds.get(e.name ?? '') ?? 'next', points: label.points ?? [] };
  });
  // Edges may bend outside the nodes' box (dagre routes long back edges around it): the drawing's
  // bounds cover every node and every edge point, shifted to start at the margin.
  const MARGIN = 12;
  const xs = [
    ...nodes.flatMap((n) => [n.x - n.width / 2, n.x + n.width / 2]),
    ...edges.flatMap((e) => e.points.map((p) => p.x)),
  ];
  const ys = [
    ...nodes.flatMap((n) => [n.y - n.height / 2, n.y + n.height / 2]),
    ...edges.flatMap((e) => e.points.map((p) => p.y)),
  ];
  const minX = Math.min(...xs) - MARGIN;
  const minY = Math.min(...ys) - MARGIN;
  return {
    nodes: nodes.map((n) => ({ ...n, x: n.x - minX, y: n.y - minY })),
    edges: edges.map((e) => ({ ...e, points: e.points.map((p) => ({ x: p.x - minX, y: p.y - minY })) })),
    width: Math.max(...xs) - minX + MARGIN,
    height: Math.max(...ys) - minY + MARGIN,
  };
}
