/* Rule builder, progressive enhancement only: every page works without it.
   - condition rows: add/remove in the page, operators filtered by the field's kind,
     the query-parameter box shown only for "Query parameter…";
   - rule lists: drag rows to reorder (priorities renumbered 10, 20, 30 ...);
   - "Test this visitor": calls POST /api/rules/test with the session's CSRF token. */
(function () {
  'use strict';

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $$(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  /* --- condition rows ------------------------------------------------------------------ */
  var form = $('#rule-form');
  if (form) {
    var kinds = JSON.parse(form.dataset.kinds || '{}');
    var queryField = form.dataset.queryField;
    var rows = $('#cond-rows');
    var template = $('#cond-template');
    var next = rows ? $$('[data-row]', rows).length : 0;

    var syncRow = function (row) {
      var fieldSelect = $('[data-field-select]', row);
      var opSelect = $('[data-operator-select]', row);
      var chosen = fieldSelect.options[fieldSelect.selectedIndex];
      var kind = chosen && chosen.dataset.kind;
      var allowed = kind ? kinds[kind] || [] : null;
      $$('option', opSelect).forEach(function (option) {
        var ok = !option.value || !allowed || allowed.indexOf(option.value) !== -1;
        option.hidden = !ok;
        option.disabled = !ok;
      });
      if (allowed && opSelect.value && allowed.indexOf(opSelect.value) === -1) {
        opSelect.value = allowed[0] || '';
      }
      if (allowed && !opSelect.value && allowed.length) { opSelect.value = allowed[0]; }
      var param = $('[data-param]', row);
      if (param) { param.hidden = fieldSelect.value !== queryField; }
      var value = $('.cond-value input', row);
      var noValue = opSelect.value === 'is_true' || opSelect.value === 'is_false';
      value.disabled = noValue;
      value.placeholder = noValue ? 'no value needed' :
        (opSelect.value === 'in' || opSelect.value === 'not_in') ? 'values, comma-separated' : 'value';
    };

    var wireRow = function (row) {
      $('[data-field-select]', row).addEventListener('change', function () { syncRow(row); });
      $('[data-operator-select]', row).addEventListener('change', function () { syncRow(row); });
      $('[data-remove-row]', row).addEventListener('click', function (event) {
        event.preventDefault();
        if ($$('[data-row]', rows).length > 1) {
          row.remove();
        } else {
          $$('select, input', row).forEach(function (el) { el.value = ''; });
          syncRow(row);
        }
      });
      syncRow(row);
    };

    if (rows && template) {
      $$('[data-row]', rows).forEach(wireRow);
      var add = $('[data-add-row]', form);
      add.addEventListener('click', function (event) {
        event.preventDefault();
        var html = template.innerHTML.replace(/__i__/g, String(next)).replace(/__n__/g, String(next + 1));
        next += 1;
        var holder = document.createElement('div');
        holder.innerHTML = html.trim();
        var row = holder.firstElementChild;
        rows.appendChild(row);
        wireRow(row);
        $('[data-field-select]', row).focus();
      });
    }
  }

  /* --- drag to reorder ----------------------------------------------------------------- */
  $$('[data-sortable]').forEach(function (body) {
    var dragged = null;
    var renumber = function () {
      $$('tr', body).forEach(function (tr, i) {
        var input = $('.priority-input', tr);
        if (input) { input.value = String((i + 1) * 10); }
      });
    };
    $$('tr[draggable]', body).forEach(function (tr) {
      tr.addEventListener('dragstart', function (event) {
        dragged = tr; tr.classList.add('dragging');
        event.dataTransfer.effectAllowed = 'move';
        event.dataTransfer.setData('text/plain', tr.dataset.rule || '');
      });
      tr.addEventListener('dragend', function () { tr.classList.remove('dragging'); dragged = null; });
      tr.addEventListener('dragover', function (event) {
        if (!dragged || dragged === tr) { return; }
        event.preventDefault();
        var box = tr.getBoundingClientRect();
        var after = event.clientY > box.top + box.height / 2;
        body.insertBefore(dragged, after ? tr.nextSibling : tr);
      });
      tr.addEventListener('drop', function (event) { event.preventDefault(); renumber(); });
    });
  });

  /* --- test this visitor --------------------------------------------------------------- */
  var testForm = $('#test-form');
  var panel = $('.test-panel');
  var out = $('#test-result');
  var token = $('meta[name="csrf-token"]');
  if (testForm && out && token && window.fetch) {
    var names = JSON.parse(panel.dataset.ruleNames || '{}');
    var labels = JSON.parse(panel.dataset.operatorLabels || '{}');
    var el = function (tag, className, text) {
      var node = document.createElement(tag);
      if (className) { node.className = className; }
      if (text !== undefined && text !== null) { node.textContent = text; }
      return node;
    };
    var show = function (value) {
      if (value === null || value === undefined) { return 'unknown'; }
      return Array.isArray(value) ? value.join(', ') : String(value);
    };
    var value = function (name) {
      var input = testForm.querySelector('[name="visitor-' + name + '"]');
      return input ? input.value.trim() : '';
    };
    var describe = function () {
      var visitor = {};
      var plain = { country: 'country', userAgent: 'user_agent', referrer: 'referrer',
                    time: 'time', visitorId: 'visitor_id' };
      Object.keys(plain).forEach(function (key) { if (value(plain[key])) { visitor[key] = value(plain[key]); } });
      var languages = value('language').split(',').map(function (s) { return s.trim(); }).filter(Boolean);
      if (languages.length) { visitor.language = languages; }
      var query = value('query').replace(/^\?/, '');
      if (query) {
        var params = {};
        new URLSearchParams(query).forEach(function (v, k) {
          if (k in params) { params[k] = [].concat(params[k], v); } else { params[k] = v; }
        });
        visitor.query = params;
      }
      return visitor;
    };
    var render = function (data) {
      out.textContent = '';
      var matched = data.matchedRuleId;
      var head = el('div', 'test-outcome ' + (matched ? 'is-match' : 'no-match'));
      head.dataset.outcome = matched ? 'matched' : 'none';
      head.appendChild(el('strong', null, matched ? 'Matched: ' + (names[matched] || matched) : 'No rule matched'));
      head.appendChild(el('div', 'small', '→ ' + (data.destinationUrl || 'no destination')));
      out.appendChild(head);
      var chips = el('p', 'fact-chips small');
      ['country', 'deviceType', 'os', 'browser', 'language', 'bot'].forEach(function (key) {
        var fact = data.facts[key];
        if (fact !== null && fact !== undefined && fact !== '' && !(Array.isArray(fact) && !fact.length)) {
          chips.appendChild(el('span', 'badge', key + ': ' + show(data.facts[key])));
          chips.appendChild(document.createTextNode(' '));
        }
      });
      out.appendChild(chips);
      if (!data.evaluations.length) { out.appendChild(el('p', 'muted', 'No enabled rules apply to this link.')); }
      data.evaluations.forEach(function (ev) {
        var box = el('div', 'eval' + (ev.matched ? ' is-match' : ''));
        var p = el('p');
        p.appendChild(el('span', 'badge ' + (ev.matched ? 'badge-green' : 'badge-red'), ev.matched ? 'match' : 'no match'));
        p.appendChild(document.createTextNode(' '));
        p.appendChild(el('strong', null, names[ev.ruleId] || ev.ruleId));
        box.appendChild(p);
        var list = el('ul', 'cond-results');
        ev.conditions.forEach(function (c) {
          var li = el('li', c.result ? 'ok' : 'fail');
          li.appendChild(el('span', null, c.result ? '✓ ' : '✗ '));
          li.appendChild(el('code', null, c.field));
          li.appendChild(document.createTextNode(' ' + (labels[c.operator] || c.operator) + ' '));
          if (c.value !== null && c.value !== undefined) { li.appendChild(el('strong', null, show(c.value))); }
          li.appendChild(el('span', 'muted', ' (visitor: ' + show(c.actual) + ')'));
          list.appendChild(li);
        });
        box.appendChild(list);
        out.appendChild(box);
      });
      (data.skipped || []).forEach(function (s) {
        out.appendChild(el('p', 'small muted', 'Skipped ' + (names[s.ruleId] || s.ruleId) + ': ' + s.reason));
      });
    };
    var fail = function (error) {
      out.textContent = '';
      var box = el('div', 'alert alert-error', error.message || 'The test failed.');
      box.setAttribute('role', 'alert');
      (error.details || []).forEach(function (d) {
        box.appendChild(el('div', 'small', d.field.replace('visitor.', '') + ': ' + d.message));
      });
      out.appendChild(box);
    };
    testForm.addEventListener('submit', function (event) {
      event.preventDefault();
      var button = $('button[type="submit"]', testForm);
      button.disabled = true;
      fetch('/api/rules/test', {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': token.content,
                   'X-Workspace-Id': testForm.dataset.workspace },
        body: JSON.stringify({ linkId: testForm.dataset.link, visitor: describe() })
      }).then(function (response) {
        return response.json().then(function (body) {
          if (body.success) { render(body.data); } else { fail(body.error || {}); }
        });
      }).catch(function () {
        fail({ message: 'Could not reach the server; try again.' });
      }).then(function () { button.disabled = false; });
    });
  }
}());
