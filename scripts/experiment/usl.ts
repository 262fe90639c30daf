/**
 * Universal Scalability Law (Gunther): X(N) = λN / (1 + σ(N − 1) + κN(N − 1)).
 * σ is contention (the serial share: queueing on something all replicas share), κ is coherency
 * (crosstalk that grows with every pair of replicas); with κ > 0 throughput peaks and then falls.
 */
export interface UslFit {
  lambda: number;
  sigma: number;
  kappa: number;
  /** Replica count of the throughput peak, null when κ = 0 (no peak, only the ceiling λ/σ). */
  peakReplicas: number | null;
  peakRps: number | null;
  /** λ/σ: what infinitely many replicas would approach when κ = 0; null when σ = 0 too. */
  ceilingRps: number | null;
  r2: number;
}

export interface ScalingPoint {
  replicas: number;
  rps: number;
}

export function uslThroughput(fit: Pick<UslFit, 'lambda' | 'sigma' | 'kappa'>, replicas: number): number {
  return (fit.lambda * replicas) / (1 + fit.sigma * (replicas - 1) + fit.kappa * replicas * (replicas - 1));
}

/** Least squares for y ≈ σa + κb with σ, κ ≥ 0 (two unknowns: try the interior, then each edge). */
function nonNegativePair(rows: { a: number; b: number; y: number }[]): { sigma: number; kappa: number } {
  const s = (f: (r: { a: number; b: number; y: number }) => number) => rows.reduce((sum, r) => sum + f(r), 0);
  const aa = s((r) => r.a * r.a);
  const bb = s((r) => r.b * r.b);
  const ab = s((r) => r.a * r.b);
  const ay = s((r) => r.a * r.y);
  const by = s((r) => r.b * r.y);
  const error = (sigma: number, kappa: number) => s((r) => (r.y - sigma * r.a - kappa * r.b) ** 2);
  const candidates: { sigma: number; kappa: number }[] = [{ sigma: 0, kappa: 0 }];
  const det = aa * bb - ab * ab;
  if (Math.abs(det) > 1e-12) candidates.push({ sigma: (ay * bb - by * ab) / det, kappa: (by * aa - ay * ab) / det });
  if (aa > 0) candidates.push({ sigma: ay / aa, kappa: 0 });
  if (bb > 0) candidates.push({ sigma: 0, kappa: by / bb });
  return candidates
    .filter((c) => c.sigma >= 0 && c.kappa >= 0)
    .reduce((best, c) => (error(c.sigma, c.kappa) < error(best.sigma, best.kappa) ? c : best));
}

/**
 * Fits λ, σ, κ to measured capacities: for a given λ, σ and κ follow from a linear least-squares
 * problem (λN/X − 1 = σ(N − 1) + κN(N − 1)); λ itself is chosen by golden-section search for the
 * smallest squared error in throughput. Needs at least three distinct replica counts.
 */
export function fitUsl(points: ScalingPoint[]): UslFit | null {
  const usable = points.filter((p) => p.replicas >= 1 && p.rps > 0);
  if (new Set(usable.map((p) => p.replicas)).size < 3) return null;
  const inner = (lambda: number) => {
    const rows = usable.map((p) => ({ a: p.replicas - 1, b: p.replicas * (p.replicas - 1), y: (lambda * p.replicas) / p.rps - 1 }));
    const { sigma, kappa } = nonNegativePair(rows);
    const sse = usable.reduce((sum, p) => sum + (p.rps - uslThroughput({ lambda, sigma, kappa }, p.replicas)) ** 2, 0);
    return { lambda, sigma, kappa, sse };
  };
  const perReplica = Math.max(...usable.map((p) => p.rps / p.replicas));
  let low = perReplica * 0.5;
  let high = perReplica * 2;
  const golden = (Math.sqrt(5) - 1) / 2;
  for (let i = 0; i < 200 && high - low > perReplica * 1e-9; i++) {
    const m1 = high - golden * (high - low);
    const m2 = low + golden * (high - low);
    if (inner(m1).sse <= inner(m2).sse) high = m2;
    else low = m1;
  }
  const best = inner((low + high) / 2);
  const mean = usable.reduce((sum, p) => sum + p.rps, 0) / usable.length;
  const sst = usable.reduce((sum, p) => sum + (p.rps - mean) ** 2, 0);
  // Below these the coefficients are fitting noise, not a property of the system.
  const kappa = best.kappa < 1e-6 ? 0 : best.kappa;
  const sigma = best.sigma < 1e-6 ? 0 : best.sigma;
  const hasPeak = kappa > 0 && sigma < 1;
  const peakReplicas = hasPeak ? Math.sqrt((1 - sigma) / kappa) : null;
  return {
    lambda: best.lambda,
    sigma,
    kappa,
    peakReplicas,
    peakRps: peakReplicas === null ? null : uslThroughput({ lambda: best.lambda, sigma, kappa }, peakReplicas),
    ceilingRps: hasPeak || sigma === 0 ? null : best.lambda / sigma,
    r2: sst === 0 ? 1 : 1 - best.sse / sst,
  };
}
