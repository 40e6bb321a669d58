// Checks that the snippet blocks of a test file are verbatim copies of the reference documents.
// A block starts with `// >>> <reference file>` and ends with `// <<<`; whitespace is ignored (the documents
// lost their indentation), everything else must match exactly.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot, repoRoot } from "./daemon.js";

export const referenceDir = process.env.HIVE_REFERENCE_DIR ?? join(repoRoot, "..", "shared", "reference");

const squash = (s: string) => s.replace(/\s+/g, "");

/** Problems found in `test/<file>` (empty when every block is verbatim); null when the reference is not here. */
export function verbatimProblems(file: string): string[] | null {
  if (!existsSync(referenceDir)) return null;
  const source = readFileSync(join(packageRoot, "test", file), "utf8");
  const problems: string[] = [];
  const blocks = [...source.matchAll(/\/\/ >>> (\S+)\n([\s\S]*?)\/\/ <<</g)];
  if (blocks.length === 0) problems.push(`${file}: no snippet blocks found`);
  for (const [, ref, body] of blocks) {
    const refPath = join(referenceDir, ref!);
    if (!existsSync(refPath)) {
      problems.push(`${file}: reference ${ref} does not exist`);
      continue;
    }
    if (!squash(readFileSync(refPath, "utf8")).includes(squash(body!))) {
      problems.push(`${file}: this block is not verbatim from ${ref}:\n${body}`);
    }
  }
  return problems;
}
