// A throwaway CA and a certificate for 127.0.0.1 signed by it (openssl), for local HTTPS servers
// standing in for push services, and a fetch that trusts that CA only.

async function run(cmd: string, args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`);
}

export interface TestCertificates {
  /** PEM texts. */
  ca: string;
  cert: string;
  key: string;
}

/** Makes the CA and the 127.0.0.1 certificate in a temporary directory (removed before returning). */
export async function makeCertificates(): Promise<TestCertificates> {
  const dir = await Deno.makeTempDir({ prefix: "talkspace-tls-" });
  try {
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    await run("openssl", [
      "req",
      "-x509",
      ...ec,
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-days",
      "1",
      "-subj",
      "/CN=Talkspace test CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ], dir);
    await run("openssl", ["req", ...ec, "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=127.0.0.1"], dir);
    await Deno.writeTextFile(
      `${dir}/ext.cnf`,
      "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n",
    );
    await run("openssl", [
      "x509",
      "-req",
      "-in",
      "srv.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "srv.pem",
      "-days",
      "1",
      "-extfile",
      "ext.cnf",
    ], dir);
    const read = (name: string) => Deno.readTextFile(`${dir}/${name}`);
    return { ca: await read("ca.pem"), cert: await read("srv.pem"), key: await read("srv.key") };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A fetch that trusts `caPem` (and nothing else); close() releases its connection pool. */
export function trustingFetch(caPem: string): { fetch: typeof fetch; close(): void } {
  const client = Deno.createHttpClient({ caCerts: [caPem] });
  return {
    fetch: (input, init) => fetch(input, { ...init, client }),
    close: () => client.close(),
  };
}
