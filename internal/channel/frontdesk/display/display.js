// Redraws the waiting-room display from the public queue every few
// seconds. It only ever shows queue numbers and counter names.
(function () {
  'use strict'
  var url = document.body.getAttribute('data-queue')
  var every = 3000
  var seen = {}
  document.querySelectorAll('#serving .number').forEach(function (n) { seen[n.textContent] = true })

  function item(cls, text) {
    var s = document.createElement('span')
    s.className = cls
    s.textContent = text
    return s
  }

  function draw(q) {
    var serving = document.getElementById('serving')
    var rows = q.serving.map(function (c) {
      var li = document.createElement('li')
      li.appendChild(item('number', c.number))
      li.appendChild(item('counter', c.counter))
      if (!seen[c.number]) li.className = 'new'
      return li
    })
    seen = {}
    q.serving.forEach(function (c) { seen[c.number] = true })
    serving.replaceChildren.apply(serving, rows)
    var waiting = document.getElementById('waiting')
    waiting.replaceChildren.apply(waiting, q.waiting.map(function (n) {
      var li = document.createElement('li')
      li.className = 'number'
      li.textContent = n
      return li
    }))
    var minutes = Math.ceil(q.expected_wait_ms / 60000)
    document.getElementById('wait').textContent = q.waiting.length ? 'Expected wait: about ' + minutes + ' min' : 'No wait'
    document.getElementById('status').textContent = ''
  }

  function poll() {
    fetch(url, { cache: 'no-store' })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status)
        return r.json()
      })
      .then(draw)
      .catch(function () {
        document.getElementById('status').textContent = 'Reconnecting…'
      })
      .finally(function () { setTimeout(poll, every) })
  }
  setTimeout(poll, every)
})()
