// The host panel (CPU per core, load, memory, disks) and the workers panel.

import { $, el } from "./format.js";
import { api } from "./api.js";

const gib = (bytes) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

export async function refreshHost() {
  try {
    const [summary, cpu, partitions] = await Promise.all([api("/"), api("/cpu/percent"), api("/partitions/usage")]);
    $("host-summary").textContent = `${summary.hostname} · ${summary.os} · load ${summary.load_average.map((v) => v.toFixed(2)).join(" ")}`;
    $("cpus").replaceChildren(...cpu.per_cpu.map((percent, index) => {
      const meter = el("meter", { min: 0, max: 100, value: percent });
      meter.setAttribute("aria-label", `CPU ${index}`);
      return el("li", {}, el("span", { textContent: `cpu${index}` }), meter, el("span", { textContent: `${percent.toFixed(0)}%` }));
    }));
    $("memory").textContent = `Memory: ${summary.memory.percent.toFixed(1)}% of ${gib(summary.memory.total)}`;
    $("disks").replaceChildren(...partitions.partitions.map((part) => el("li", {
      textContent: part.percent !== null ? `${part.mountpoint}: ${part.percent.toFixed(1)}% of ${gib(part.total)}` : `${part.mountpoint}: ${part.error}`,
    })));
    $("host-error").textContent = "";
  } catch (error) {
    $("host-error").textContent = error.message;
  }
}

export async function refreshWorkers() {
  try {
    const answer = await api("/workers");
    $("queue").textContent = `Queue ${answer.queue}: ${answer.queue_depth ?? "?"} messages`;
    $("workers").replaceChildren(...answer.workers.map((worker) => el("li", {
      textContent: `${worker.name}: ${worker.concurrency} processes, ${worker.active} running`,
    })));
    if (!answer.workers.length) $("workers").replaceChildren(el("li", { textContent: "No worker answers." }));
    $("workers-error").textContent = "";
  } catch (error) {
    $("workers-error").textContent = error.message;
  }
}
