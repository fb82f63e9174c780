// Offline stand-ins for the threat-intel and ticketing tools a real deployment would call.
// Each honours ctx.signal, as every tool should, so a cancelled run stops them at once.
const wait = (ms, signal) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => { clearTimeout(timer); reject(signal.reason); }, { once: true });
  });

const REPUTATION = {
  "203.0.113.7": { malicious: true, tags: ["scanner", "log4shell"] },
  "192.0.2.99": { malicious: true, tags: ["sqlmap"] },
};
const CVES = {
  "CVE-2021-44228": { cvss: 10.0, name: "Log4Shell" },
  "CVE-2017-12615": { cvss: 8.1, name: "Tomcat PUT RCE" },
};
let tickets = 0;

export default {
  ip_reputation: {
    description: "Reputation of an IP address",
    parameters: { type: "object", properties: { ip: { type: "string" } }, required: ["ip"] },
    run: async ({ ip }, ctx) => {
      await wait(20, ctx.signal);
      return { ip, malicious: false, tags: [], ...REPUTATION[ip] };
    },
  },
  cve_lookup: async ({ cve }, ctx) => {
    await wait(15, ctx.signal);
    return CVES[cve] ?? { cvss: 5.0, name: "unknown" };
  },
  open_ticket: async ({ alert, level }, ctx) => {
    await wait(10, ctx.signal);
    tickets += 1;
    return { ticket: `SEC-${1000 + tickets}`, alert: alert.id, level };
  },
};
