// Renders the Janus configuration templates (the .jcfg files beside this module, gateway/janus/) into a
// run directory at start.
// Secrets are written with mode 0600 because the files hold the admin secret and admin key.

import type { GatewayConfig } from "../config.ts";

const TEMPLATE_DIR = new URL("./", import.meta.url);

export const TEMPLATE_FILES = [
  "janus.jcfg",
  "janus.transport.websockets.jcfg",
  "janus.transport.http.jcfg",
  "janus.plugin.videoroom.jcfg",
  "janus.plugin.audiobridge.jcfg",
] as const;

/** Quotes a value for a libconfig string: Janus would otherwise read a `"` as the end of it. */
function str(value: string): string {
  // deno-lint-ignore no-control-regex -- control characters are exactly what we refuse here.
  if (/[\x00-\x1f]/.test(value)) throw new Error("Janus config values cannot contain control characters");
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
}

const PROTECTED_FOLDERS = [
  "/bin",
  "/boot",
  "/dev",
  "/etc",
  "/lib",
  "/lib32",
  "/lib64",
  "/proc",
  "/sbin",
  "/sys",
  "/usr",
  "/var",
];

/** The values substituted into the templates, all already escaped for libconfig strings. */
export function templateValues(config: GatewayConfig): Record<string, string> {
  const nat: string[] = [];
  if (config.iceEnforceList) nat.push(`\tice_enforce_list = "${str(config.iceEnforceList)}"`);
  else if (config.iceIgnoreList) nat.push(`\tice_ignore_list = "${str(config.iceIgnoreList)}"`);
  if (config.stun) {
    nat.push(`\tstun_server = "${str(config.stun.host)}"`, `\tstun_port = ${config.stun.port}`);
  }
  if (config.natOneToOne) nat.push(`\tnat_1_1_mapping = "${str(config.natOneToOne)}"`);
  return {
    debug_level: String(config.janusDebugLevel),
    admin_secret: str(config.janusAdminSecret),
    rtp_port_range: `${config.rtpPortRange[0]}-${config.rtpPortRange[1]}`,
    nat_extra: nat.map((l) => l + "\n").join(""),
    ws_port: String(config.janusWsPort),
    ws_ip: str(config.janusWsIp),
    admin_ws_port: String(config.janusAdminWsPort),
    // The HTTP transport is disabled; the port only has to be a valid number.
    admin_http_port: "7088",
    videoroom_admin_key: str(config.janusAdminKey),
    audiobridge_admin_key: str(config.janusAdminKey),
    plain_rtp_ip: str(config.janusPlainRtpIp),
    protected_folders: PROTECTED_FOLDERS
      .filter((f) => !`${config.recording.dir}/`.startsWith(`${f}/`))
      .map((f) => `"${f}"`).join(", "),
  };
}

/** Replaces every `{{name}}`; an unknown name throws, so a template typo cannot reach Janus. */
export function renderTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`unknown Janus template value {{${name}}}`);
    return values[name];
  });
}

/** Writes the rendered configuration into `${dataDir}/janus` and returns that directory. */
export async function renderJanusConfig(config: GatewayConfig): Promise<string> {
  const dir = `${config.dataDir.replace(/\/+$/, "")}/janus`;
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const values = templateValues(config);
  for (const file of TEMPLATE_FILES) {
    const template = await Deno.readTextFile(new URL(file, TEMPLATE_DIR));
    const path = `${dir}/${file}`;
    await Deno.writeTextFile(path, renderTemplate(template, values), { mode: 0o600 });
    // writeTextFile's mode only applies when creating the file.
    await Deno.chmod(path, 0o600);
  }
  return dir;
}
