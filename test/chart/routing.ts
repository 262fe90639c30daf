import { K8sObject } from './render';

/**
 * Which request paths an Ingress or HTTPRoute sends to a backend, by the matching rules of the
 * Kubernetes Ingress API (Exact, Prefix: element-wise on '/') and of the Gateway API (Exact,
 * PathPrefix: the same element-wise rule). Enough to ask "is /metrics reachable from outside?".
 */
function prefixMatches(prefix: string, path: string): boolean {
  const want = prefix.split('/').filter(Boolean);
  const have = path.split('/').filter(Boolean);
  return want.every((element, i) => have[i] === element);
}

function matches(type: string, value: string, path: string): boolean {
  switch (type) {
    case 'Exact':
      return path === value;
    case 'Prefix':
    case 'PathPrefix':
      return prefixMatches(value, path);
    default:
      // ImplementationSpecific / RegularExpression: the controller decides; treat as unknown.
      throw new Error(`path type ${type} has no portable meaning; the chart must not use it`);
  }
}

export function routed(route: K8sObject, path: string): boolean {
  if (route.kind === 'Ingress') {
    if (route.spec.defaultBackend) return true;
    return route.spec.rules.some((rule: any) => (rule.http?.paths ?? []).some((p: any) => matches(p.pathType, p.path, path)));
  }
  if (route.kind === 'HTTPRoute') {
    return route.spec.rules.some((rule: any) => {
      // A rule without matches matches every request ("/" prefix).
      const list = rule.matches ?? [{ path: { type: 'PathPrefix', value: '/' } }];
      return list.some((m: any) => matches(m.path?.type ?? 'PathPrefix', m.path?.value ?? '/', path));
    });
  }
  throw new Error(`${route.kind} is not a route`);
}
