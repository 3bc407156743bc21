/* The bottom sheet (a side panel on wide screens): the list of results or one station's card. */
import {state} from "./state.js";

const sheet = document.getElementById("sheet");
const handle = document.getElementById("sheet-handle");
const listView = document.getElementById("list-view");
const cardView = document.getElementById("card-view");
const statusLine = document.getElementById("status");

export function setSheet(open) {
  state.sheetOpen = open;
  sheet.classList.toggle("expanded", open);
  handle.setAttribute("aria-expanded", String(open));
}

export function setStatus(text, kind) {
  statusLine.textContent = text || "";
  statusLine.hidden = !text;
  statusLine.className = "status" + (kind ? " " + kind : "");
}

export function showList() {
  cardView.hidden = true;
  listView.hidden = false;
  sheet.classList.remove("showing-card");
}

/* The card view, empty, for the caller to fill. */
export function cardPane() { return cardView; }

export function showCardPane() {
  listView.hidden = true;
  cardView.hidden = false;
  sheet.classList.add("showing-card");
  document.getElementById("sheet-scroll").scrollTop = 0;
}

export function initSheet() {
  handle.addEventListener("click", () => setSheet(!state.sheetOpen));
}
