/* Long analyses as jobs: POST /api/jobs/<analysis> queues a coverage or siting run, GET
   /api/jobs/<id> tells its stage, progress and place in the queue, DELETE cancels it. A panel
   shows the stage, a progress bar, the queue position ("排队中：前面还有 1 个分析") and a Cancel
   button; every text goes in as text. */
import {api, clear, el, t} from "../common.js";

/* Polls come quickly at first (a cached analysis is done at once), then every 0.6 s. */
const POLLS_MS = [150, 300, 600];

function finished(job) { return job.state === "done" || job.state === "failed" || job.state === "cancelled"; }

/* The error a failed job ended with, shaped as api() throws it (status, parameter, body). */
function failure(job) {
  const f = job.failure || {};
  const err = new Error(f.error || t("error"));
  err.status = f.status; err.parameter = f.parameter; err.body = f;
  return err;
}

/* Run `analysis` ("coverage" or "plan") with `body` as a job, its progress shown in `panel`.
   Returns {promise, cancel}: the promise gives the answer (that of GET /api/coverage or POST
   /api/plan), or fails with the job's error, or with err.cancelled once cancelled. */
export function runJob(analysis, body, panel) {
  let job = null, polls = 0, cancelling = false;
  const stage = el("span", {class: "job-stage"});
  const bar = el("progress", {class: "job-bar", max: "1", value: "0", "aria-label": t("job_progress")});
  const queue = el("span", {class: "job-queue"});
  const button = el("button", {type: "button", class: "button small job-cancel"}, t("job_cancel"));
  clear(panel).appendChild(el("div", {class: "job-line"}, stage, queue));
  panel.appendChild(bar);
  panel.appendChild(button);
  panel.hidden = false;
  panel.dataset.state = "starting";

  function show(answer) {
    job = answer;
    panel.dataset.state = answer.state;
    panel.dataset.stage = answer.stage.key;
    stage.textContent = cancelling && !finished(answer) ? t("job_cancelling") : t("job_stage_" + answer.stage.key);
    bar.value = answer.progress;
    const waiting = answer.state === "queued" && answer.queue_position > 0;
    queue.textContent = waiting ? t("job_queued", {n: answer.queue_position}) : "";
    queue.hidden = !waiting;
  }

  function cancel() {
    if (!job || finished(job) || cancelling) return;
    cancelling = true;
    button.disabled = true;
    stage.textContent = t("job_cancelling");
    api("/api/jobs/" + encodeURIComponent(job.id), {method: "DELETE"}).then(show).catch(() => {});
  }
  button.addEventListener("click", cancel);

  const promise = new Promise((resolve, reject) => {
    function end(answer) {
      panel.hidden = true;
      if (answer.state === "done") resolve(answer.result);
      else if (answer.state === "cancelled") {
        const err = new Error(t("job_cancelled"));
        err.cancelled = true;
        reject(err);
      } else reject(failure(answer));
    }
    function poll() {
      api("/api/jobs/" + encodeURIComponent(job.id)).then((answer) => {
        show(answer);
        if (finished(answer)) end(answer);
        else setTimeout(poll, POLLS_MS[Math.min(polls++, POLLS_MS.length - 1)]);
      }).catch((err) => { panel.hidden = true; reject(err); });
    }
    api("/api/jobs/" + analysis, {method: "POST", body}).then((answer) => {
      show(answer);
      setTimeout(poll, POLLS_MS[polls++]);
    }).catch((err) => { panel.hidden = true; reject(err); });
  });
  return {promise, cancel};
}
