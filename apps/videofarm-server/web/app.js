// VideoFarm web page: lists the library (newest first, paged), plays a movie in <video> (the
// browser fetches it with Range requests), deletes your own videos, and adds one: the form
// (multipart POST /videos, answered 303 to the new video), then the movie, resumably (upload.js).
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
  if (account.owns(video)) {
    const remove = document.createElement('button');
    remove.className = 'delete';
    remove.textContent = 'Delete';
    remove.addEventListener('click', (e) => { e.stopPropagation(); deleteVideo(video); });
    li.append(remove);
  }
  li.addEventListener('click', () => play(video));
  return li;
}

async function deleteVideo(video) {
  const response = await fetch(`/videos/${video.id}`, {method: 'DELETE'});
  if (!response.ok) alert('Cannot delete: ' + await errorText(response));
  await loadPage(true);
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

async function upload(event) {
  event.preventDefault();
  const status = document.getElementById('upload-status');
  const progress = document.getElementById('upload-progress');
  const button = document.getElementById('upload-button');
  const movie = document.getElementById('movie').files[0];
  button.disabled = true;
  try {
    // The same file as an upload a reload interrupted: continue that video's upload.
    const pending = movieUpload.pending();
    let video;
    if (pending && pending.name === movie.name && pending.size === movie.size) {
      video = {id: pending.videoId, title: movie.name};
    } else {
      status.textContent = 'Creating the video…';
      const form = new FormData(event.target);
      form.delete('movie');
      // fetch follows the 303 See Other to GET /videos/ID.
      const created = await fetch('/videos', {method: 'POST', body: form});
      video = await created.json();
      if (!created.ok) throw new Error(video.error || created.statusText);
    }
    status.textContent = 'Uploading the movie…';
    progress.hidden = false;
    showPauseButtons(true);
    await movieUpload.send(video.id, movie, (p) => { progress.value = p; });
    status.textContent = 'Uploaded: ' + video.title;
    document.getElementById('resume-note').hidden = true;
    event.target.reset();
    await loadPage(true);
  } catch (e) {
    status.textContent = 'Upload failed: ' + e.message;
  } finally {
    button.disabled = false;
    progress.hidden = true;
    showPauseButtons(false);
  }
}

function showPauseButtons(uploading) {
  document.getElementById('pause-button').hidden = !uploading;
  document.getElementById('resume-button').hidden = true;
}

function pauseUpload() {
  movieUpload.pause();
  document.getElementById('pause-button').hidden = true;
  document.getElementById('resume-button').hidden = false;
  document.getElementById('upload-status').textContent = 'Paused';
}

function resumeUpload() {
  movieUpload.resume();
  document.getElementById('pause-button').hidden = false;
  document.getElementById('resume-button').hidden = true;
  document.getElementById('upload-status').textContent = 'Uploading the movie…';
}

// After a reload: say which file to choose again to continue.
function showPendingUpload() {
  const pending = movieUpload.pending();
  const note = document.getElementById('resume-note');
  note.hidden = !pending;
  if (pending) note.textContent = `An upload of ${pending.name} was interrupted: choose that file again and press Upload to continue it.`;
}

document.getElementById('upload-form').addEventListener('submit', upload);
document.getElementById('pause-button').addEventListener('click', pauseUpload);
document.getElementById('resume-button').addEventListener('click', resumeUpload);
more.addEventListener('click', () => loadPage(false));
// Logging in or out changes what may be added and which videos get a delete button.
account.onChange((user) => {
  document.getElementById('add-section').hidden = !user;
  if (user) showPendingUpload();
  loadPage(true).catch((e) => { list.textContent = 'Cannot load the library: ' + e.message; });
});
loadSession().catch(() => account.set(null));
