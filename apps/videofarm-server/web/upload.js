// VideoFarm web page: the movie upload, resumable. tus-js-client (npm) speaks the IETF draft's
// interop version 6 (protocol 'ietf-draft-05') to POST /videos/ID/movie, appends with PATCH to
// the upload URL it is given, and after a cut asks HEAD for the server's durable offset and goes
// on from there. Pause aborts the request (the upload stays on the server); Resume asks HEAD for
// the offset and appends from it. After a reload, localStorage remembers the video being uploaded
// (ours) and tus-js-client the upload's URL (by the file's fingerprint): choosing the same file
// again continues it. A page cannot read a file the user has not chosen again, so a reload cannot
// continue by itself.
'use strict';

const pendingKey = 'videofarm.pending-upload';

const movieUpload = {
  current: null,  // the tus.Upload in progress
  ready: false,   // its previous URL (if any) is looked up, so start() may be called
  paused: false,

  // Whether uploads can be paused and continued (tus-js-client was served).
  resumable() { return !!window.tus; },

  // Resolves when the whole movie is on the server. `video` is {id, title}.
  send(video, file, onProgress, user) {
    if (!window.tus) return plainPut(video.id, file, onProgress);
    // What a reloaded page needs to offer the continuation: the video it belongs to, which file
    // (tus-js-client's fingerprint is name, type, size, lastModified and the endpoint), and whose.
    localStorage.setItem(pendingKey, JSON.stringify({
      videoId: video.id, title: video.title, name: file.name, size: file.size,
      lastModified: file.lastModified, userId: userId(user),
    }));
    this.paused = false;
    this.ready = false;
    return new Promise((resolve, reject) => {
      const upload = new tus.Upload(file, {
        endpoint: `/videos/${video.id}/movie`,
        protocol: 'ietf-draft-05',
        retryDelays: [0, 500, 1000, 3000, 5000, 10000],
        chunkSize: Infinity,
        removeFingerprintOnSuccess: true,
        metadata: {filename: file.name, filetype: file.type},
        onProgress: (sent, total) => onProgress(total ? sent / total : 0),
        onError: (error) => {
          this.current = null;
          const response = error.originalResponse;
          const failure = new Error(response ? response.getBody() || error.message : error.message);
          failure.status = response ? response.getStatus() : 0;
          reject(failure);
        },
        onSuccess: () => {
          this.current = null;
          localStorage.removeItem(pendingKey);
          resolve();
        },
      });
      this.current = upload;
      // A previous attempt at this file (a pause, a cut, a reload) left its upload URL in
      // localStorage: start() then asks HEAD for the server's offset and appends from there.
      upload.findPreviousUploads().then((previous) => {
        previous.sort((a, b) => Date.parse(b.creationTime) - Date.parse(a.creationTime));  // newest first
        if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
        this.ready = true;
        if (!this.paused) upload.start();
      });
    });
  },
  // abort() stops the request but keeps the upload URL; the promise of send() stays pending.
  pause() {
    this.paused = true;
    if (this.current) this.current.abort();
  },
  resume() {
    this.paused = false;
    if (this.current && this.ready) this.current.start();
  },
  // {videoId, title, name, size, lastModified, userId} of an upload a reload interrupted, if it
  // is this user's (another one logging in on this browser could not continue it anyway).
  pending(user) {
    let p = null;
    try { p = JSON.parse(localStorage.getItem(pendingKey)); } catch (_) {}
    return p && p.userId === userId(user) ? p : null;
  },
  // Whether `file` is the one of the pending upload (what tus-js-client's fingerprint compares).
  continues(pending, file) {
    return !!pending && !!file && pending.name === file.name && pending.size === file.size &&
           pending.lastModified === file.lastModified;
  },
  forget() { localStorage.removeItem(pendingKey); },
};

// null without accounts (--open-writes) or when logged out.
function userId(user) { return user && user.id != null ? user.id : null; }

// Without tus-js-client: one PUT with progress (a cut loses it).
function plainPut(id, file, onProgress) {
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
