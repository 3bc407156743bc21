/* A station's QR code on its card (the same as on its poster): a phone that scans it opens the
   finder on this station's card. */
import {el, t} from "../common.js";

export function shareQr(id) {
  if (navigator.onLine === false) return null;  // made by the server: shown when online
  const img = el("img", {class: "qr-img", src: "/qr/" + encodeURIComponent(id) + ".svg",
                         alt: t("qr_alt"), width: "132", height: "132", loading: "lazy"});
  const box = el("figure", {class: "card-qr"}, img, el("figcaption", {}, t("qr_share")));
  img.addEventListener("error", () => { box.hidden = true; });  // offline, not stored
  return box;
}
