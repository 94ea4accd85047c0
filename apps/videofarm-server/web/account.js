// VideoFarm web page: logging in and out. POST /sessions sets an HttpOnly, SameSite=Strict cookie
// that the page never sees; GET /sessions says who it belongs to. Writes from the page carry the
// cookie and the browser's Origin header, which the server checks (docs/videofarm-server.md).
'use strict';

const account = {
  user: null,  // {id, name, admin} when logged in
  listeners: [],
  onChange(fn) { this.listeners.push(fn); },
  set(user) {
    this.user = user;
    document.getElementById('login-form').hidden = !!user;
    document.getElementById('who').hidden = !user;
    document.getElementById('who-name').textContent = user ? user.name : '';
    for (const fn of this.listeners) fn(user);
  },
  // Whether the logged-in user may change this video (the server decides; this only hides buttons).
  owns(video) { return !!this.user && (this.user.admin || video.owner_id === this.user.id); },
};

async function errorText(response) {
  try { return (await response.json()).error || response.statusText; } catch (_) { return response.statusText; }
}

async function loadSession() {
  const response = await fetch('/sessions');
  account.set(response.ok ? (await response.json()).user : null);
}

async function logIn(event) {
  event.preventDefault();
  const status = document.getElementById('login-status');
  const body = JSON.stringify({
    name: document.getElementById('login-name').value,
    password: document.getElementById('login-password').value,
  });
  const response = await fetch('/sessions', {method: 'POST', headers: {'Content-Type': 'application/json'}, body});
  if (!response.ok) {
    status.textContent = await errorText(response);  // wrong password, or 429: wait N s
    return;
  }
  status.textContent = '';
  document.getElementById('login-password').value = '';
  account.set((await response.json()).user);
}

async function logOut() {
  await fetch('/sessions', {method: 'DELETE'});
  account.set(null);
}

document.getElementById('login-form').addEventListener('submit', logIn);
document.getElementById('logout-button').addEventListener('click', logOut);
