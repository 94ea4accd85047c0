// VideoFarm web page: lists the library (newest first, paged), plays a movie in <video> (the
// browser fetches it with Range requests), and uploads: the form (multipart POST /videos,
// answered 303 to the new video), then the movie (PUT /videos/ID/movie with progress).
'use strict';

const list = document.getElementById('videos');
const more = document.getElementById('more');
let nextCursor = null;

function formatDuration(seconds) {
  if (seconds == null) return '';
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function videoItem(video) {
  const li = document.createElement('li');
  li.dataset.id = video.id;
  li.className = 'video ' + video.upload_state;
  const img = document.createElement('img');
  img.alt = '';
  if (video.thumbnail_url) img.src = video.thumbnail_url;
  const title = document.createElement('div');
  title.className = 'title';
  title.textContent = video.title;
  const meta = document.createElement('div');
  meta.className = 'meta';
  meta.textContent = video.movie
      ? `${formatDuration(video.movie.duration)} · ${(video.movie.size / 1e6).toFixed(1)} MB`
      : video.upload_state;
  li.append(img, title, meta);
  li.addEventListener('click', () => play(video));
  return li;
}

async function loadPage(reset) {
  const query = new URLSearchParams({limit: '24'});
  if (!reset && nextCursor) query.set('after', nextCursor);
  const response = await fetch('/videos?' + query);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  if (reset) list.replaceChildren();
  for (const video of body.videos) list.append(videoItem(video));
  nextCursor = body.next;
  more.hidden = !nextCursor;
}

function play(video) {
  if (!video.movie_url) return;
  document.getElementById('player-section').hidden = false;
  document.getElementById('player-title').textContent = video.title;
  document.getElementById('player-description').textContent = video.description;
  const player = document.getElementById('player');
  player.src = video.movie_url;
  player.play().catch(() => {});  // autoplay may be refused; the controls are there
}

function putMovie(id, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', `/videos/${id}/movie`);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      if (xhr.status === 201 || xhr.status === 204) return resolve();
      let message = xhr.statusText;
      try { message = JSON.parse(xhr.responseText).error; } catch (_) {}
      reject(new Error(message));
    };
    xhr.onerror = () => reject(new Error('the connection failed'));
    xhr.send(file);
  });
}

async function upload(event) {
  event.preventDefault();
  const status = document.getElementById('upload-status');
  const progress = document.getElementById('upload-progress');
  const button = document.getElementById('upload-button');
  const movie = document.getElementById('movie').files[0];
  button.disabled = true;
  try {
    status.textContent = 'Creating the video…';
    const form = new FormData(event.target);
    // fetch follows the 303 See Other to GET /videos/ID.
    const created = await fetch('/videos', {method: 'POST', body: form});
    const video = await created.json();
    if (!created.ok) throw new Error(video.error || created.statusText);
    status.textContent = 'Uploading the movie…';
    progress.hidden = false;
    await putMovie(video.id, movie, (p) => { progress.value = p; });
    status.textContent = 'Uploaded: ' + video.title;
    event.target.reset();
    await loadPage(true);
  } catch (e) {
    status.textContent = 'Upload failed: ' + e.message;
  } finally {
    button.disabled = false;
    progress.hidden = true;
  }
}

document.getElementById('upload-form').addEventListener('submit', upload);
more.addEventListener('click', () => loadPage(false));
loadPage(true).catch((e) => { list.textContent = 'Cannot load the library: ' + e.message; });
