// Quay's config.yaml is assembled in the pod, at start, by an init container: the rendered objects
// carry no credential and no value of the user's config bundle, only where to find them. The
// operator's part (defaults, the fields of managed components) is plain data in a ConfigMap; the
// user's config.yaml and files come from the bundle Secret, mounted; credentials (generated keys,
// the bucket's) come from Secret and ConfigMap keys through the environment, as `{"$env": NAME}`
// placeholders. The script runs on the Quay image's own Python and PyYAML.
//
// `assembleConfig` is the same assembly in TypeScript, for the tests and for the status; a test runs
// the Python script on the same inputs and expects the same config.

/** A config value taken from the init container's environment when the pod starts. */
export interface EnvRef {
  readonly $env: string;
  /** Convert the text to an integer (a port). */
  readonly as?: 'int';
  /** When the variable is unset (an optional ConfigMap key). */
  readonly default?: string | number;
}

export function envRef(name: string, options: { as?: 'int'; default?: string | number } = {}): EnvRef {
  return { $env: name, ...options };
}

/** What the init container does; rendered as spec.json next to the script. */
export interface AssemblySpec {
  /** Defaults for keys the user's config.yaml leaves unset. */
  readonly base: Readonly<Record<string, unknown>>;
  /** The user's config.yaml in the mounted bundle Secret, if the bundle has one. */
  readonly user?: string;
  /** The operator's fields, over the user's (top-level keys replace). */
  readonly managed: Readonly<Record<string, unknown>>;
  /** Bundle files copied next to config.yaml: [from, to]. */
  readonly copy: readonly (readonly [string, string])[];
  /** Where config.yaml is written. */
  readonly output: string;
}

function isEnvRef(v: unknown): v is EnvRef {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as EnvRef).$env === 'string' && Object.keys(v).every((k) => ['$env', 'as', 'default'].includes(k));
}

/** Replaces every placeholder by the variable's value; an unset variable without default is an error. */
export function resolveEnvRefs(value: unknown, env: Readonly<Record<string, string | undefined>>): unknown {
  if (isEnvRef(value)) {
    const raw = env[value.$env];
    if (raw === undefined) {
      if (value.default !== undefined) return value.default;
      throw new Error(`environment variable ${value.$env} is not set`);
    }
    if (value.as !== 'int') return raw;
    if (!/^-?\d+$/.test(raw.trim())) throw new Error(`environment variable ${value.$env} is not an integer: ${JSON.stringify(raw)}`);
    return Number(raw.trim());
  }
  if (Array.isArray(value)) return value.map((v) => resolveEnvRefs(v, env));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveEnvRefs(v, env)]));
  return value;
}

/** The config the script writes, given the user's parsed config.yaml and the environment. */
export function assembleConfig(spec: AssemblySpec, user: Readonly<Record<string, unknown>>, env: Readonly<Record<string, string | undefined>>): Record<string, unknown> {
  return { ...spec.base, ...user, ...(resolveEnvRefs(spec.managed, env) as Record<string, unknown>) };
}

/**
 * The init container's program (python3 of the Quay image; PyYAML ships with Quay). Errors name what
 * is missing and exit non-zero, so the pod shows them in `kubectl describe` / the init log.
 */
export const ASSEMBLE_PY = `import json, os, shutil, sys
import yaml


def fail(message):
    sys.stderr.write("quay-config-init: " + message + "\\n")
    sys.exit(1)


def resolve(value):
    if isinstance(value, dict):
        if isinstance(value.get("$env"), str) and set(value) <= {"$env", "as", "default"}:
            raw = os.environ.get(value["$env"])
            if raw is None:
                if "default" in value:
                    return value["default"]
                fail("environment variable %s is not set" % value["$env"])
            if value.get("as") == "int":
                try:
                    return int(raw.strip())
                except ValueError:
                    fail("environment variable %s is not an integer: %r" % (value["$env"], raw))
            return raw
        return {k: resolve(v) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v) for v in value]
    return value


with open(sys.argv[1]) as f:
    spec = json.load(f)
user = {}
if spec.get("user"):
    if not os.path.exists(spec["user"]):
        fail("the config bundle has no %s: render the registry again" % os.path.basename(spec["user"]))
    with open(spec["user"]) as f:
        user = yaml.safe_load(f) or {}
    if not isinstance(user, dict):
        fail("config.yaml of the config bundle is not a mapping")
config = dict(spec["base"])
config.update(user)
config.update(resolve(spec["managed"]))
for source, target in spec["copy"]:
    if not os.path.exists(source):
        fail("the config bundle has no %s: render the registry again" % os.path.basename(source))
    shutil.copyfile(source, target)
with open(spec["output"], "w") as f:
    yaml.safe_dump(config, f, default_flow_style=False, sort_keys=True)
print("quay-config-init: wrote %s (%d keys)" % (spec["output"], len(config)))
`;
