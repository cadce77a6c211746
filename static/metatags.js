/* "Fetch from page" on the link form: reads the destination page's title, description and
   image through GET /api/metatags and fills the social preview (OG) fields. The button shows
   only when this script runs; without it the fields are typed by hand. */
(function () {
  'use strict';
  var button = document.getElementById('fetch-metatags');
  if (!button) { return; }
  var status = document.getElementById('metatags-status');
  var fields = [['og_title', 'title'], ['og_description', 'description'], ['og_image', 'image']];
  button.hidden = false;

  function say(text) { status.textContent = text; }

  button.addEventListener('click', function () {
    var destination = document.getElementById('destination_url');
    var url = destination ? destination.value.trim() : '';
    if (!url) { say('Enter the destination URL first.'); return; }
    button.disabled = true;
    say('Reading the page…');
    fetch('/api/metatags?url=' + encodeURIComponent(url), {
      credentials: 'same-origin',
      headers: {Accept: 'application/json', 'X-Workspace-Id': button.dataset.workspace}
    }).then(function (response) {
      return response.json();
    }).then(function (body) {
      if (!body.success) {
        var error = body.error || {};
        var detail = (error.details || [])[0];
        say('Could not read the page: ' + (detail ? detail.message : error.message) + '.');
        return;
      }
      var filled = [];
      fields.forEach(function (pair) {
        var input = document.getElementById(pair[0]);
        var value = body.data[pair[1]];
        if (input && value) {
          input.value = value;
          input.dispatchEvent(new Event('input', {bubbles: true}));
          filled.push(pair[1]);
        }
      });
      say(filled.length ? 'Filled ' + filled.join(', ') + ' from the page.'
                        : 'The page has no title, description or image to use.');
    }).catch(function () {
      say('Could not reach linkhub; try again.');
    }).then(function () {
      button.disabled = false;
    });
  });
})();
