/** Runs `body` with a fresh temporary directory that is removed afterwards. */
export async function withTempDir<T>(
  body: (dir: string) => Promise<T>,
  prefix = "fmagent-test-",
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    return await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
