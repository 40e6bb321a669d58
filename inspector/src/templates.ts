// Starting points for the create form: plain configs the user can edit before creating.
export const TEMPLATES: Record<string, { label: string; config: Record<string, unknown> }> = {
  shell: {
    label: "Plain shell",
    config: { image: "hive/base", ttl: 3600 },
  },
  agent: {
    label: "Claude Code-style agent (anthropic secret, api.anthropic.com allowed)",
    config: {
      image: "hive/base",
      secrets: { ANTHROPIC_API_KEY: "anthropic" },
      egress: [{ access: "allow", host: "api.anthropic.com", ports: [443] }],
      ttl: 3600,
    },
  },
  python: {
    label: "Python data work (PyPI allowed)",
    config: {
      image: "hive/base",
      egress: [
        { access: "allow", host: "pypi.org", ports: [443] },
        { access: "allow", host: "files.pythonhosted.org", ports: [443] },
      ],
      resources: { cpus: 2, memoryMb: 4096 },
      ttl: 3600,
    },
  },
  minimal: {
    label: "Minimal (hive/minimal, no network)",
    config: { image: "hive/minimal" },
  },
};
