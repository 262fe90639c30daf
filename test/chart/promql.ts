import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { parser as PromQLParser } from '@prometheus-io/lezer-promql' with { 'resolution-mode': 'import' };
import { CHART, K8sObject } from './render';

// Prometheus' own PromQL grammar. The package is an ES module with a CommonJS build; TypeScript
// (node16, CommonJS here) only lets us import its types, so the value comes through require.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parser } = require('@prometheus-io/lezer-promql') as { parser: typeof PromQLParser };

/** A metric selector in a query: the metric name and the label names it matches on. */
export interface Selector {
  metric: string;
  labels: string[];
}

export interface Query {
  where: string;
  expr: string;
}

/** Grafana's interval variables are not PromQL; give them a duration so the query parses. */
function fromGrafana(expr: string): string {
  return expr.replace(/\$__(rate_interval|interval|range)\b/g, '5m');
}

/** Parses one PromQL expression with Prometheus' own grammar (lezer-promql). */
export function parsePromQL(expr: string): { errors: string[]; selectors: Selector[] } {
  const text = fromGrafana(expr);
  const errors: string[] = [];
  const selectors: Selector[] = [];
  parser.parse(text).iterate({
    enter(ref) {
      if (ref.type.isError) errors.push(`syntax error at ${ref.from}: …${text.slice(Math.max(0, ref.from - 20), ref.from + 20)}…`);
      if (ref.name !== 'VectorSelector') return;
      const node = ref.node;
      const name = node.getChild('Identifier');
      const labels = (node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []).map((m) => {
        const label = m.getChild('LabelName');
        return label ? text.slice(label.from, label.to) : '';
      });
      // A selector without a name ({__name__=~...}) would escape the check: the chart uses none.
      selectors.push({ metric: name ? text.slice(name.from, name.to) : '', labels });
    },
  });
  return { errors, selectors };
}

/** Every query of a Grafana dashboard: panel targets (rows included) and label_values() variables. */
export function dashboardQueries(dashboard: any): Query[] {
  const queries: Query[] = [];
  const visit = (panels: any[]) => {
    for (const panel of panels ?? []) {
      for (const target of panel.targets ?? []) queries.push({ where: `panel "${panel.title}" ${target.refId}`, expr: target.expr });
      visit(panel.panels);
    }
  };
  visit(dashboard.panels);
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query') continue;
    const query = typeof variable.query === 'string' ? variable.query : variable.query.query;
    const match = /^label_values\((.+),\s*[A-Za-z_][A-Za-z0-9_]*\)$/.exec(query);
    if (!match) throw new Error(`variable ${variable.name}: only label_values(selector, label) is understood, got ${query}`);
    queries.push({ where: `variable ${variable.name}`, expr: match[1] });
  }
  return queries;
}

export function ruleQueries(rule: K8sObject): Query[] {
  return rule.spec.groups.flatMap((group: any) =>
    group.rules.map((r: any) => ({ where: `alert ${r.alert ?? r.record}`, expr: String(r.expr) })),
  );
}

export function readDashboard(): any {
  return JSON.parse(readFileSync(join(CHART, 'dashboards', 'rate.json'), 'utf8'));
}
