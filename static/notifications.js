/* The header's notifications bell and feedback dialog, on top of forms that work without
   JavaScript: "Mark read" and "Mark all read" post to the API and update the count in place;
   the feedback button opens a dialog whose form posts to POST /api/feedback. Every call sends
   the session's CSRF token and the current workspace. */
(function () {
  'use strict';
  var root = document.querySelector('[data-notifications]');
  if (!root) { return; }
  var headers = {
    'Content-Type': 'application/json', Accept: 'application/json',
    'X-CSRF-Token': root.dataset.csrf, 'X-Workspace-Id': root.dataset.workspace
  };

  function post(url, body) {
    return fetch(url, {method: 'POST', credentials: 'same-origin', headers: headers,
                       body: JSON.stringify(body || {})})
      .then(function (response) {
        return response.json().then(function (data) { return {status: response.status, data: data}; });
      });
  }

  function showCount(unread) {
    document.querySelectorAll('[data-unread-count]').forEach(function (badge) {
      badge.textContent = unread;
      badge.hidden = !unread;
    });
    var summary = root.querySelector('.bell > summary');
    if (summary) { summary.setAttribute('aria-label', 'Notifications: ' + unread + ' unread'); }
  }

  function refreshCount() {
    fetch('/api/notifications/unread-count', {credentials: 'same-origin', headers: headers})
      .then(function (r) { return r.json(); })
      .then(function (body) { if (body.success) { showCount(body.data.unread); } });
  }

  document.querySelectorAll('form[data-api^="/api/notifications/"]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      post(form.dataset.api).then(function (answer) {
        if (answer.status >= 400) { form.submit(); return; }
        var item = form.closest('[data-notification]');
        if (item) { item.classList.remove('unread'); }
        if (form.dataset.api.endsWith('/read-all')) {
          document.querySelectorAll('[data-notification].unread').forEach(function (li) { li.classList.remove('unread'); });
          document.querySelectorAll('form[data-api$="/read"]').forEach(function (f) { f.remove(); });
        }
        form.remove();
        refreshCount();
      });
    });
  });

  var dialog = document.getElementById('feedback-dialog');
  var opener = root.querySelector('[data-feedback-open]');
  if (!dialog || !opener || typeof dialog.showModal !== 'function') { return; }
  var form = dialog.querySelector('form');
  var status = dialog.querySelector('.feedback-status');

  function clearErrors() {
    form.querySelectorAll('[data-error-for]').forEach(function (p) { p.hidden = true; p.textContent = ''; });
    status.textContent = '';
  }

  opener.addEventListener('click', function (event) {
    event.preventDefault();
    clearErrors();
    dialog.showModal();
    form.elements.message.focus();
  });
  dialog.querySelector('[data-feedback-close]').addEventListener('click', function () { dialog.close(); });

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    clearErrors();
    var rating = form.elements.rating.value;
    var body = {kind: form.elements.kind.value, message: form.elements.message.value,
                page: form.elements.page.value, rating: rating ? parseInt(rating, 10) : null};
    post(form.dataset.api, body).then(function (answer) {
      if (answer.status === 201) {
        form.reset();
        status.textContent = 'Thank you: your feedback was sent.';
        return;
      }
      var error = answer.data.error || {};
      (error.details || []).forEach(function (detail) {
        var slot = form.querySelector('[data-error-for="' + detail.field + '"]');
        if (slot) { slot.textContent = detail.message; slot.hidden = false; }
      });
      status.textContent = error.message || 'The feedback could not be sent.';
    }, function () { status.textContent = 'The feedback could not be sent; check your connection.'; });
  });
}());
