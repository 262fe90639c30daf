import { KWOK_NODE_ANNOTATION } from './components';
import { foreignNodes, kwokNodes } from './control-plane';

describe('kwokNodes', () => {
  it('makes nodes kwok manages, each its own hostname and zone, with room for the chart', () => {
    const nodes = kwokNodes(3) as {
      metadata: { name: string; annotations: Record<string, string>; labels: Record<string, string> };
      status: { allocatable: Record<string, string> };
    }[];
    expect(nodes.map((n) => n.metadata.name)).toEqual(['kwok-node-1', 'kwok-node-2', 'kwok-node-3']);
    expect(nodes.map((n) => n.metadata.labels['kubernetes.io/hostname'])).toEqual(['kwok-node-1', 'kwok-node-2', 'kwok-node-3']);
    expect(new Set(nodes.map((n) => n.metadata.labels['topology.kubernetes.io/zone'])).size).toBe(3);
    for (const node of nodes) {
      // kwok runs with --manage-nodes-with-annotation-selector, so a real kubelet's node is left alone.
      expect(node.metadata.annotations[KWOK_NODE_ANNOTATION]).toBe('fake');
      expect(node.metadata.labels['kubernetes.io/os']).toBe('linux');
      expect(node.status.allocatable).toMatchObject({ cpu: '16', memory: '64Gi', pods: '110' });
    }
  });
});

describe('foreignNodes', () => {
  it("names the other kind's nodes: the real node for a kwok cluster, kwok nodes (or extra ones) for a real one", () => {
    const all = ['kwok-node-1', 'kwok-node-2', 'kwok-node-3', 'rate-node'];
    expect(foreignNodes(all, 3, false)).toEqual(['rate-node']);
    expect(foreignNodes(all, 0, true)).toEqual(['kwok-node-1', 'kwok-node-2', 'kwok-node-3']);
    expect(foreignNodes(all, 2, false)).toEqual(['kwok-node-3', 'rate-node']);
    expect(foreignNodes(['kwok-node-1'], 1, false)).toEqual([]);
  });
});
