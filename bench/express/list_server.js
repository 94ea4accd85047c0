// The peer of bench/videofarm-list: a small Express server that answers GET /videos?limit=N&after=ID
// and GET /videos/ID with the VideoFarm server's JSON shape, from memory. At start it reads every
// video from the VideoFarm server (all pages), so both serve the same rows.
//   node list_server.js PORT VIDEOFARM_URL
"use strict";
const express = require("express");
const http = require("http");

const [port, source] = [Number(process.argv[2]), process.argv[3]];

function getJson(url) {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => (res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(`${url}: ${res.statusCode}`))));
    }).on("error", reject);
  });
}

async function loadAll() {
  const videos = [];
  let after = null;
  do {
    const page = await getJson(`${source}/videos?limit=200${after ? `&after=${after}` : ""}`);
    videos.push(...page.videos);
    after = page.next;
  } while (after);
  return videos;
}

loadAll().then((videos) => {
  const position = new Map(videos.map((v, i) => [v.id, i]));
  const app = express();
  app.set("etag", false);  // the VideoFarm server sends none on lists
  app.get("/videos", (req, res) => {
    const limit = Number(req.query.limit || 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) return res.status(400).json({ error: "limit must be a number from 1 to 200" });
    let start = 0;
    if (req.query.after !== undefined) {
      if (!position.has(req.query.after)) return res.status(400).json({ error: "after must be a video id" });
      start = position.get(req.query.after) + 1;
    }
    const page = videos.slice(start, start + limit);
    const more = start + limit < videos.length;
    res.json({ videos: page, next: more ? page[page.length - 1].id : null });
  });
  app.get("/videos/:id", (req, res) => {
    const i = position.get(req.params.id);
    if (i === undefined) return res.status(404).json({ error: `no video ${req.params.id}` });
    res.json(videos[i]);
  });
  app.listen(port, "127.0.0.1", () => console.log(`express: ${videos.length} videos on ${port}`));
}).catch((e) => {
  console.error(e.message);
  process.exit(1);
});
