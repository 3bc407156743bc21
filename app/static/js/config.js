/* yizhan: what the server tells the page scripts (labels, colours, tiles, strings), read once from
   the page's <script type="application/json" id="config"> (data, not code: the CSP allows it). */
export const config = JSON.parse(document.getElementById("config").textContent);
