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

function percent(p) { return Math.floor(p * 100) + '%'; }

async function upload(event) {
  event.preventDefault();
  const status = document.getElementById('upload-status');
  const progress = document.getElementById('upload-progress');
  const button = document.getElementById('upload-button');
  const movie = document.getElementById('movie').files[0];
  button.disabled = true;
  // The file of an upload a reload interrupted: continue that video's upload, not a new video.
  const pending = movieUpload.pending(account.user);
  const continuing = movieUpload.continues(pending, movie);
  try {
    let video;
    if (continuing) {
      video = {id: pending.videoId, title: pending.title};
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
    progress.value = 0;
    progress.hidden = false;
    showPauseButtons(true);
    await movieUpload.send(video, movie, (p) => {
      progress.value = p;
      if (!movieUpload.paused) status.textContent = 'Uploading the movie… ' + percent(p);
    }, account.user);
    status.textContent = 'Uploaded: ' + video.title;
    document.getElementById('resume-note').hidden = true;
    event.target.reset();
    showContinuation();
    await loadPage(true);
  } catch (e) {
    // The video or its upload is gone (deleted, expired): a new try makes a new video.
    if (continuing && e.status === 404) movieUpload.forget();
    status.textContent = 'Upload failed: ' + e.message;
  } finally {
    button.disabled = false;
    progress.hidden = true;
    showPauseButtons(false);
  }
}

function showPauseButtons(uploading) {
  // Without tus-js-client the movie goes in one PUT, which cannot be paused.
  document.getElementById('pause-button').hidden = !uploading || !movieUpload.resumable();
  document.getElementById('resume-button').hidden = true;
}

function pauseUpload() {
  movieUpload.pause();
  document.getElementById('pause-button').hidden = true;
  document.getElementById('resume-button').hidden = false;
  document.getElementById('upload-status').textContent =
      'Paused at ' + percent(document.getElementById('upload-progress').value);
}

function resumeUpload() {
  movieUpload.resume();
  document.getElementById('pause-button').hidden = false;
  document.getElementById('resume-button').hidden = true;
  document.getElementById('upload-status').textContent = 'Uploading the movie…';
}

// After a reload: say which file to choose again to continue.
function showPendingUpload() {
  const pending = movieUpload.pending(account.user);
  const note = document.getElementById('resume-note');
  note.hidden = !pending;
  if (pending) {
    document.getElementById('resume-text').textContent =
        `The upload of ${pending.name} (“${pending.title}”) was interrupted: choose that file again ` +
        'as the movie and press Continue upload; it goes on from what the server already has.';
  }
  showContinuation();
}

// The chosen movie is the interrupted one: the video exists already, so its fields are not
// asked again and the button continues instead of adding.
function showContinuation() {
  const pending = movieUpload.pending(account.user);
  const continuing = movieUpload.continues(pending, document.getElementById('movie').files[0]);
  for (const id of ['title', 'description', 'thumbnail']) document.getElementById(id).disabled = continuing;
  if (continuing) document.getElementById('title').value = pending.title;
  document.getElementById('upload-button').textContent = continuing ? 'Continue upload' : 'Upload';
}

function discardPendingUpload() {
  movieUpload.forget();
  showPendingUpload();
}

document.getElementById('upload-form').addEventListener('submit', upload);
document.getElementById('pause-button').addEventListener('click', pauseUpload);
document.getElementById('resume-button').addEventListener('click', resumeUpload);
document.getElementById('movie').addEventListener('change', showContinuation);
document.getElementById('discard-button').addEventListener('click', discardPendingUpload);
more.addEventListener('click', () => loadPage(false));
// Logging in or out changes what may be added and which videos get a delete button.
account.onChange((user) => {
  document.getElementById('add-section').hidden = !user;
  showPendingUpload();
  loadPage(true).catch((e) => { list.textContent = 'Cannot load the library: ' + e.message; });
});
loadSession().catch(() => account.set(null));
