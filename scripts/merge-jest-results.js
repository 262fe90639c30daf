// Merges the --json results of several Jest runs into one file of the same shape (counts summed,
// suites concatenated), so that .ci/run reads one result for npm test's several runs.
//   usage: node merge-jest-results.js <out.json> <run.json>...
const { existsSync, readFileSync, writeFileSync } = require('node:fs');

const [out, ...inputs] = process.argv.slice(2);
const runs = inputs.map((file) => {
  if (!existsSync(file)) {
    console.error(`[test] no results from ${file}: that Jest run did not finish`);
    return null;
  }
  return JSON.parse(readFileSync(file, 'utf8'));
});
const present = runs.filter(Boolean);
if (present.length === 0) process.exit(1);
const merged = { ...present[0], testResults: [] };
for (const key of Object.keys(merged)) if (key.startsWith('num')) merged[key] = 0;
for (const run of present) {
  for (const [key, value] of Object.entries(run)) if (key.startsWith('num')) merged[key] += value;
  merged.testResults.push(...run.testResults);
  merged.startTime = Math.min(merged.startTime, run.startTime);
}
merged.success = present.length === runs.length && present.every((run) => run.success) && merged.numTotalTests > 0;
// A run that never wrote its results counts as a failed suite, so nobody reads the sum as green.
merged.numRuntimeErrorTestSuites += runs.length - present.length;
writeFileSync(out, JSON.stringify(merged));
console.log(`[test] ${merged.numPassedTests} passed, ${merged.numFailedTests} failed (${runs.length} Jest runs merged)`);
if (merged.numTotalTests === 0) console.log('[test] no test was executed');
process.exit(merged.success ? 0 : 1);
