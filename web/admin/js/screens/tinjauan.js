// Tinjauan: phone check-ins the face engine or the other checks could not decide, each with the selfie beside the
// enrolled face and the evidence, to approve, reject, or reject as manipulation (audited); and the fraud alerts
// (duplicate faces, faces in the band just below the blocking threshold, confirmed manipulation) with both photos,
// where super can resolve a duplicate or a possible duplicate as different people.

const KIND_NAMES = { in: 'Absen masuk', out: 'Absen pulang' };
const REASON_HINTS = {
  borderline_similarity: 'Kemiripan wajah di bawah batas yakin',
  face_uncertain: 'Kemiripan wajah di bawah batas yakin',
  poor_accuracy: 'Akurasi GPS rendah',
  selfie_replayed: 'Foto yang sama pernah dikirim',
  reused_selfie: 'Foto yang sama pernah dikirim',
  too_fast: 'Berpindah terlalu cepat dari absensi sebelumnya',
  face_reset: 'Wajah baru saja didaftarkan ulang',
  liveness_borderline: 'Kemiripan wajah saat menoleh di bawah batas yakin',
};
const TURN_NAMES = { left: 'kiri', right: 'kanan' };
const TURN_SIGN = { left: 1, right: -1 }; // the engine's yaw is positive when the person turns to their left

export const screen = {
  async render(root, ctx) {
    const { ui, principal } = ctx;
    const toolbar = ui.el('div', { class: 'toolbar' });
    const tabs = ui.el('div', { class: 'tabs', role: 'tablist' });
    const body = ui.el('div', { class: 'review-body' });
    root.replaceChildren(toolbar, tabs, body);
    ui.loading(body);

    const picker = await ui.opdPicker(ctx, { allowAll: principal.role !== 'opd_admin', onChange: () => show() });
    toolbar.replaceChildren(picker.element, ui.el('div', { class: 'grow' }), ui.button('Muat ulang', () => show()));
    if (!ui.canEdit(principal)) {
      toolbar.after(ui.notice('Peran auditor hanya dapat melihat. Keputusan diambil oleh admin OPD atau BKPSDM.', 'info'));
    }

    const tabNames = [['antrean', 'Perlu ditinjau'], ['peringatan', 'Peringatan kecurangan']];
    let current = ctx.params.query.tab === 'peringatan' ? 'peringatan' : 'antrean';
    const tabButtons = tabNames.map(([id, label]) => ui.el('button', {
      type: 'button', role: 'tab', id: `tab-${id}`, 'aria-selected': String(id === current), dataset: { tab: id },
      onclick: () => { current = id; show(); },
    }, label, ui.el('span', { class: 'tab-count', dataset: { for: id } })));
    tabs.replaceChildren(...tabButtons);

    let seq = 0;
    async function show() {
      const mine = ++seq;
      for (const b of tabButtons) b.setAttribute('aria-selected', String(b.dataset.tab === current));
      ui.loading(body);
      try {
        if (current === 'antrean') await showQueue(body, ctx, picker.value, () => mine !== seq, setCount);
        else await showAlerts(body, ctx, picker.value, () => mine !== seq, setCount);
      } catch (err) {
        if (mine === seq) ui.showError(body, err);
      }
    }
    function setCount(tab, n) {
      const span = tabs.querySelector(`.tab-count[data-for="${tab}"]`);
      if (span) span.textContent = ` (${n})`;
    }
    await show();
    // The other tab's count too, so an open alert is visible from the queue (best effort).
    if (current === 'antrean') {
      ctx.api.all('/v1/alerts', { opd: picker.value || undefined })
        .then((alerts) => setCount('peringatan', alerts.filter((a) => !a.resolution).length)).catch(() => {});
    }
  },
};

// ---- the queue --------------------------------------------------------------------------------------------

async function showQueue(body, ctx, opdId, stale, setCount) {
  const { ui, api } = ctx;
  const items = await api.all('/v1/checkins/review', { opd: opdId || undefined, state: 'review' });
  if (stale()) return;
  setCount('antrean', items.length);
  if (!items.length) {
    ui.empty(body, 'Tidak ada absensi yang perlu ditinjau.',
      'Absensi swafoto yang diragukan sistem (wajah kurang mirip, GPS kurang akurat, foto berulang) muncul di sini.');
    return;
  }
  const list = ui.el('ul', { class: 'queue-list' });
  for (const item of items) list.appendChild(reviewCard(item, ctx, () => {
    const left = list.querySelectorAll(':scope > li').length;
    setCount('antrean', left);
    if (!left) ui.empty(body, 'Semua absensi sudah ditinjau.', 'Tidak ada lagi yang menunggu keputusan.');
  }));
  body.replaceChildren(ui.el('p', { class: 'queue-count' }, `${items.length} absensi menunggu keputusan, yang terlama lebih dulu.`), list);
}

/** A photo from a presigned link, with a caption; a plain message in the frame when there is none or it fails. */
export function photo(ui, url, caption, missingText = 'Tidak ada foto') {
  const frame = ui.el('div', { class: 'frame' });
  if (url) {
    const img = ui.el('img', { src: url, alt: caption, loading: 'lazy', referrerpolicy: 'no-referrer' });
    img.addEventListener('error', () => {
      frame.replaceChildren(ui.el('span', { class: 'missing' }, 'Foto tidak dapat dimuat (tautan kedaluwarsa?). Muat ulang halaman.'));
    });
    frame.appendChild(img);
  } else {
    frame.appendChild(ui.el('span', { class: 'missing' }, missingText));
  }
  return ui.el('figure', { class: 'photo' }, frame, ui.el('figcaption', {}, caption));
}

function reviewCard(item, ctx, onDecided) {
  const { ui, api, principal } = ctx;
  const employee = item.employee || { employee_id: item.employee_id, name: item.employee_id };
  const zone = ui.zoneLabel(item.zone);
  const li = ui.el('li', { class: 'panel review-item', dataset: { checkin: item.checkin_id } });
  const recent = ui.el('div', { class: 'recent' }, ui.el('p', { class: 'hint' }, 'Memuat absensi terakhir…'));
  const outcome = ui.el('div', { class: 'review-outcome' });
  const similarity = item.similarity === null || item.similarity === undefined ? null : ui.persen(item.similarity);
  const distance = item.distance_m === null || item.distance_m === undefined ? null
    : (item.distance_m === 0 ? `Di dalam area ${item.office || 'kantor'}` : `${ui.jarak(item.distance_m)} di luar area ${item.office || 'kantor'}`);
  const reasons = item.reasons || [];

  const actions = ui.el('div', { class: 'review-actions' });
  if (ui.canEdit(principal)) {
    const decide = async (decision, manipulation) => {
      const titles = {
        approve: ['Setujui absensi ini?', 'Setujui', 'Absensi dihitung pada jam saat dikirim. Tulis alasan singkat untuk jejak audit.'],
        reject: ['Tolak absensi ini?', 'Tolak', 'Absensi tidak dihitung. Pegawai tetap dapat absen ulang.'],
        manipulation: ['Tolak sebagai manipulasi?', 'Tolak: manipulasi',
          'Gunakan hanya bila foto jelas dipalsukan (foto dari layar atau cetakan, orang lain). Bagian kehadiran TPP pegawai bulan ini menjadi 0, dan peringatan kecurangan dicatat.'],
      }[manipulation ? 'manipulation' : decision];
      const reason = await ui.ask({
        title: titles[0], text: titles[2], confirmLabel: titles[1], danger: decision === 'reject',
        reason: { label: 'Alasan', min: 5, max: 300, hint: 'Minimal 5 huruf; tercatat di jejak audit.' },
      });
      if (reason === null) return;
      for (const b of actions.querySelectorAll('button')) b.disabled = true;
      outcome.replaceChildren();
      try {
        await api.post(`/v1/checkins/${encodeURIComponent(item.checkin_id)}/review`,
          { decision, reason, manipulation: Boolean(manipulation) });
        ui.flash(decision === 'approve' ? `Absensi ${employee.name} disetujui.`
          : (manipulation ? `Absensi ${employee.name} ditolak sebagai manipulasi.` : `Absensi ${employee.name} ditolak.`));
        li.remove();
        onDecided();
      } catch (err) {
        for (const b of actions.querySelectorAll('button')) b.disabled = false;
        outcome.replaceChildren(ui.errorBox(err));
      }
    };
    actions.append(
      ui.button('Setujui', () => decide('approve'), { kind: 'primary' }),
      ui.button('Tolak', () => decide('reject'), { kind: 'secondary' }),
      ui.button('Tolak: manipulasi', () => decide('reject', true), { kind: 'danger' }));
  }

  const live = item.liveness || null;
  if (live) li.classList.add('with-turn');
  li.append(
    ui.el('div', { class: live ? 'photos photos-three' : 'photos' },
      photo(ui, item.selfie_url, 'Swafoto saat absen'),
      live ? photo(ui, live.turned_url, `Saat menoleh ke ${TURN_NAMES[live.direction] || live.direction}`,
        'Foto menoleh tidak tersimpan') : null,
      photo(ui, item.reference_url, 'Wajah terdaftar', 'Belum ada wajah terdaftar')),
    ui.el('div', { class: 'review-detail' },
      ui.el('div', { class: 'review-head' },
        ui.el('h2', {}, ui.el('a', { href: `#/pegawai/${encodeURIComponent(employee.employee_id)}` }, employee.name || employee.employee_id)),
        ui.el('span', { class: 'mono muted' }, employee.nip || employee.employee_id),
        ui.chip(item.outcome)),
      ui.facts([
        ['Absensi', `${KIND_NAMES[item.kind] || item.kind}, ${ui.tanggal(item.local_date, { style: 'long' })} ${ui.jam(item.local_time)} ${zone}`],
        ['OPD', ui.opdName(api, item.opd_id)],
        ['Kemiripan wajah', similarity ? ui.el('strong', { class: item.similarity < 90 ? 'warn-text' : null }, similarity) : 'Belum dibandingkan'],
        ['Lokasi', distance],
        ['Akurasi GPS', item.accuracy_m !== null && item.accuracy_m !== undefined ? `± ${ui.jarak(item.accuracy_m)}` : null],
        item.speed_kmh ? ['Kecepatan dari absensi sebelumnya', `${ui.angka(item.speed_kmh, 0)} km/jam`] : null,
        item.client_time ? ['Jam di ponsel', ui.jam(item.client_time)] : null,
      ]),
      livenessPart(ui, item, live),
      ui.el('h3', {}, 'Alasan ditinjau'),
      reasons.length ? ui.el('ul', { class: 'signals' }, reasons.map((r) => ui.el('li', {},
        r.message || REASON_HINTS[r.code] || r.code, ' ', ui.el('span', { class: 'mono muted' }, `(${r.code})`))))
        : ui.el('p', { class: 'muted' }, 'Tidak ada alasan tercatat.'),
      ui.el('h3', {}, 'Absensi terakhir pegawai ini'),
      recent,
      actions,
      outcome));

  api.get(`/v1/employees/${encodeURIComponent(item.employee_id)}/checkins`, { limit: 6 })
    .then((answer) => {
      const rows = (answer.items || []).filter((r) => r.checkin_id !== item.checkin_id).slice(0, 5);
      if (!rows.length) {
        recent.replaceChildren(ui.el('p', { class: 'muted' }, 'Belum ada absensi lain dalam 3 bulan terakhir.'));
        return;
      }
      recent.replaceChildren(ui.table({
        sortable: false, pageSize: 0, maxHeight: false, rows, caption: 'Absensi terakhir',
        columns: [
          { key: 'local_date', label: 'Tanggal', render: (r) => `${ui.tanggal(r.local_date)} ${ui.jam(r.local_time)}` },
          { key: 'kind', label: 'Jenis', render: (r) => (r.kind === 'out' ? 'Pulang' : 'Masuk') },
          { key: 'outcome', label: 'Hasil', render: (r) => ui.chip(r.outcome) },
          { key: 'similarity', label: 'Kemiripan', align: 'end', render: (r) => (r.similarity ? ui.persen(r.similarity) : null) },
          { key: 'distance_m', label: 'Jarak', align: 'end', render: (r) => (r.distance_m === null || r.distance_m === undefined ? null : ui.jarak(r.distance_m)) },
        ],
      }));
    })
    .catch((err) => recent.replaceChildren(ui.el('p', { class: 'hint' }, ui.messageFor(err))));
  return li;
}

/** What liveness measured for this check-in: the asked turn, the turn seen, the turned face's similarity, and
 * whether the photos were sent before. Nothing for a check-in sent without liveness. */
function livenessPart(ui, item, live) {
  if (!live) return null;
  const m = live.measures || {};
  const side = TURN_NAMES[live.direction] || live.direction;
  const sign = TURN_SIGN[live.direction] || 1;
  const turn = typeof m.turned_yaw === 'number' ? m.turned_yaw * sign : null;
  const frontal = typeof m.frontal_yaw === 'number' ? Math.abs(m.frontal_yaw) : null;
  const turnText = turn === null ? 'Tidak terukur'
    : `${ui.angka(Math.abs(turn), 0)}° ${turn >= 0 ? `ke ${side}, sesuai permintaan` : 'ke arah sebaliknya'}`
      + (frontal === null ? '' : ` (foto depan ${ui.angka(frontal, 0)}°)`);
  const similar = typeof m.turned_similarity === 'number' ? m.turned_similarity : null;
  const reused = (item.reasons || []).find((r) => r.code === 'reused_selfie');
  const flagged = (item.reasons || []).some((r) => String(r.code).startsWith('liveness_'));
  const verdict = live.passed === true
    ? (flagged ? ui.chip('passed', 'Lolos, tetapi perlu diperiksa', 'warn') : ui.chip('passed', 'Lolos', 'ok'))
    : live.passed === false ? ui.chip('failed', 'Tidak lolos', 'bad') : ui.chip('pending', 'Belum diukur', 'muted');
  return ui.el('div', { class: 'liveness' },
    ui.el('h3', {}, 'Uji gerak kepala (liveness)'),
    ui.facts([
      ['Diminta', `Menoleh ke ${side}`],
      ['Putaran kepala terukur', turnText],
      ['Kemiripan wajah saat menoleh', similar === null ? 'Belum dibandingkan'
        : ui.el('strong', { class: similar < 90 ? 'warn-text' : null }, ui.persen(similar))],
      ['Hasil uji', verdict],
      ['Foto pernah dikirim sebelumnya', reused ? ui.el('strong', { class: 'warn-text' }, reused.message || 'Ya')
        : (item.selfie_seen_before ? ui.el('strong', { class: 'warn-text' }, 'Ya') : 'Tidak')],
    ]));
}

// ---- fraud alerts -----------------------------------------------------------------------------------------

async function showAlerts(body, ctx, opdId, stale, setCount) {
  const { ui, api } = ctx;
  const items = await api.all('/v1/alerts', { opd: opdId || undefined });
  if (stale()) return;
  setCount('peringatan', items.filter((a) => !a.resolution).length);
  if (!items.length) {
    ui.empty(body, 'Tidak ada peringatan kecurangan.',
      'Wajah yang sama atau sangat mirip pada dua pegawai, dan manipulasi yang dikonfirmasi, muncul di sini.');
    return;
  }
  const names = new Map();
  const nameOf = async (id) => {
    if (!id) return null;
    if (!names.has(id)) {
      names.set(id, api.get(`/v1/employees/${encodeURIComponent(id)}`).then((e) => e).catch(() => null));
    }
    return names.get(id);
  };
  const list = ui.el('ul', { class: 'queue-list' });
  for (const alert of items) list.appendChild(alertCard(alert, ctx, nameOf));
  body.replaceChildren(list);
}

function personLabel(ui, id, nameOf) {
  const span = ui.el('span', {}, ui.el('a', { href: `#/pegawai/${encodeURIComponent(id)}` }, id));
  nameOf(id).then((employee) => {
    if (employee) {
      span.replaceChildren(ui.el('a', { href: `#/pegawai/${encodeURIComponent(id)}` }, employee.name),
        ' ', ui.el('span', { class: 'mono muted' }, employee.nip || id));
    }
  });
  return span;
}

// What each kind of alert is called and says; `resolvable` kinds can be judged "different people" by super.
const ALERT_KINDS = {
  duplicate_face: {
    title: () => 'Wajah ganda', tone: 'bad', resolvable: true, who: 'Pegawai yang diblokir',
    other: 'Wajahnya terdaftar atas nama', photos: ['Foto pendaftaran yang diblokir', 'Wajah terdaftar pegawai lain'],
    message: () => 'Pendaftaran wajah pegawai ini diblokir karena wajahnya sudah terdaftar atas nama pegawai lain. '
      + 'Periksa kedua foto: orang yang sama berarti satu orang mencoba memakai dua identitas.',
    button: 'Orang berbeda: izinkan pendaftaran',
    confirm: 'Lakukan hanya setelah memeriksa kedua pegawai secara langsung (misalnya kembar). Pegawai yang diblokir '
      + 'dapat mendaftarkan wajah lagi dari ponselnya.',
  },
  possible_duplicate_face: {
    title: (ui, a) => (a.similarity ? `Mungkin wajah yang sama (${ui.persen(a.similarity)})` : 'Mungkin wajah yang sama'),
    tone: 'warn', resolvable: true, who: 'Pegawai yang mendaftar', other: 'Mirip wajah terdaftar atas nama',
    photos: ['Wajah yang baru didaftarkan', 'Wajah terdaftar pegawai lain'],
    message: (ui, a) => `Wajah pegawai ini mirip${a.similarity ? ` ${ui.persen(a.similarity)}` : ''} dengan wajah `
      + 'pegawai lain, di bawah batas blokir, sehingga pendaftarannya tetap diterima. Periksa kedua foto: orang yang '
      + 'sama berarti satu orang memakai dua identitas; orang berbeda (misalnya kembar atau mirip) ditandai di sini.',
    button: 'Orang berbeda: tutup peringatan',
    confirm: 'Lakukan hanya setelah memeriksa kedua pegawai (foto, atau langsung). Wajah keduanya tidak akan lagi '
      + 'saling memicu peringatan atau blokir.',
  },
  manipulation: {
    title: () => 'Manipulasi dikonfirmasi', tone: 'muted', resolvable: false, who: 'Pegawai', other: null,
    photos: ['Swafoto yang ditolak', 'Wajah terdaftar'],
    message: () => 'Absensi pegawai ini ditolak sebagai manipulasi. Bagian kehadiran TPP bulan itu menjadi 0.',
  },
};

function alertCard(alert, ctx, nameOf) {
  const { ui, api, principal } = ctx;
  const kind = ALERT_KINDS[alert.kind] || { ...ALERT_KINDS.manipulation, title: () => alert.kind, message: () => alert.message || '' };
  const li = ui.el('li', { class: 'panel review-item', dataset: { alert: alert.alert_id, kind: alert.kind } });
  const outcome = ui.el('div', { class: 'review-outcome' });
  const resolution = alert.resolution
    ? ui.notice(`Diselesaikan: ${alert.resolution === 'different_people' ? 'orang yang berbeda' : alert.resolution}`
      + `${alert.resolution_reason ? ` — ${alert.resolution_reason}` : ''}`
      + `${alert.resolved_at ? ` (${ui.waktu(alert.resolved_at)})` : ''}`, 'ok')
    : null;
  const actions = ui.el('div', { class: 'review-actions' });
  if (kind.resolvable && alert.other_employee_id && !alert.resolution && principal.role === 'super') {
    actions.appendChild(ui.button(kind.button, async () => {
      const reason = await ui.ask({
        title: 'Tandai sebagai dua orang berbeda?',
        text: kind.confirm,
        confirmLabel: 'Tandai orang berbeda',
        reason: { label: 'Alasan', min: 5, max: 300, hint: 'Minimal 5 huruf; tercatat di jejak audit.' },
      });
      if (reason === null) return;
      actions.querySelector('button').disabled = true;
      try {
        const resolved = await api.post(`/v1/alerts/${encodeURIComponent(alert.alert_id)}/resolve`,
          { decision: 'different_people', reason });
        ui.flash('Peringatan diselesaikan: dua orang berbeda.');
        li.replaceWith(alertCard({ ...alert, ...resolved }, ctx, nameOf));
      } catch (err) {
        actions.querySelector('button').disabled = false;
        outcome.replaceChildren(ui.errorBox(err));
      }
    }, { kind: 'primary' }));
  }
  li.append(
    ui.el('div', { class: 'photos' },
      photo(ui, alert.photo_url, kind.photos[0]), photo(ui, alert.other_photo_url, kind.photos[1])),
    ui.el('div', { class: 'review-detail' },
      ui.el('div', { class: 'review-head' },
        ui.el('h2', {}, kind.title(ui, alert)),
        alert.resolution ? ui.chip('resolved', 'Selesai') : ui.chip(alert.kind, 'Belum diselesaikan', kind.tone)),
      ui.facts([
        ['Waktu', ui.waktu(alert.at)],
        [kind.who, personLabel(ui, alert.employee_id, nameOf)],
        kind.other && alert.other_employee_id ? [kind.other, personLabel(ui, alert.other_employee_id, nameOf)] : null,
        ['OPD', ui.opdName(api, alert.opd_id)],
        alert.similarity ? ['Kemiripan', ui.persen(alert.similarity)] : null,
      ]),
      ui.el('p', { class: 'alert-message' }, kind.message(ui, alert)),
      resolution, actions, outcome));
  return li;
}
