/**
 * Runs an app's bootstrap; a start that fails (Kafka topic settings refused, a port taken) ends
 * the process with one JSON line and exit code 1, as Kubernetes and stack:up expect.
 */
export function runMain(bootstrap: () => Promise<void>): void {
  bootstrap().catch((error: Error) => {
    process.stderr.write(
      `${JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'start failed', error: error.message })}\n`,
    );
    process.exit(1);
  });
}
