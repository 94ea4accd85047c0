// VideoFarm web page: the movie upload, resumable. tus-js-client (npm) speaks the IETF draft's
// interop version 6 (protocol 'ietf-draft-05') to POST /videos/ID/movie, appends with PATCH to
// the upload URL it is given, and after a cut asks HEAD for the server's durable offset and goes
// on from there. Pause aborts the request (the upload stays on the server); Resume starts it again.
// After a reload, localStorage remembers the video being uploaded; choosing the same file again
// continues it (tus-js-client finds its upload URL by the file's fingerprint).
'use strict';

const pendingKey = 'videofarm.pending-upload';

const movieUpload = {
  current: null,  // the tus.Upload in progress

  // Resolves when the whole movie is on the server.
  send(videoId, file, onProgress) {
    if (!window.tus) return plainPut(videoId, file, onProgress);
    localStorage.setItem(pendingKey, JSON.stringify({videoId, name: file.name, size: file.size}));
    return new Promise((resolve, reject) => {
      const upload = new tus.Upload(file, {
        endpoint: `/videos/${videoId}/movie`,
        protocol: 'ietf-draft-05',
        retryDelays: [0, 500, 1000, 3000, 5000, 10000],
        chunkSize: Infinity,
        removeFingerprintOnSuccess: true,
        metadata: {filename: file.name, filetype: file.type},
        onProgress: (sent, total) => onProgress(total ? sent / total : 0),
        onError: (error) => {
          this.current = null;
          reject(new Error(error.originalResponse ? error.originalResponse.getBody() || error.message : error.message));
        },
        onSuccess: () => {
          this.current = null;
          localStorage.removeItem(pendingKey);
          resolve();
        },
      });
      this.current = upload;
      // A previous attempt at this file (a cut, a reload): continue from the server's offset.
      upload.findPreviousUploads().then((previous) => {
        if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
        upload.start();
      });
    });
  },
  pause() { if (this.current) this.current.abort(); },
  resume() { if (this.current) this.current.start(); },
  // {videoId, name, size} of an upload a reload interrupted, if any.
  pending() {
    try { return JSON.parse(localStorage.getItem(pendingKey)); } catch (_) { return null; }
  },
  forget() { localStorage.removeItem(pendingKey); },
};

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
