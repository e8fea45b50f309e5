# Nama bahasa dalam bahasanya sendiri, ditampilkan di keyboard /lang.
language-name = 🇮🇩 Bahasa Indonesia

# Deskripsi perintah untuk menu Telegram (setMyCommands).
cmd-start = Mulai bot
cmd-help = Cara menggunakan bot
cmd-lang = Ganti bahasa
cmd-mode = Kirim versi asli sebagai file

start-welcome =
    👋 Hai, { $name }!

    Kirimkan tautan postingan TikTok atau Instagram, dan aku akan mengirimkan video, foto, atau suaranya tanpa watermark.

    Kamu juga bisa memakaiku di chat mana pun: ketik <code>@{ $bot } tautan</code>. Tambahkan aku ke grup, dan aku akan membalas setiap tautan yang dikirim di sana.

help-text =
    <b>Cara menggunakanku</b>

    • Tempel tautan TikTok atau Instagram di sini, dan aku akan mengirimkan video, foto, atau suaranya.
    • Tekan <b>🎵 Suara</b> di bawah video untuk mendapatkan musiknya.
    • Di chat mana pun, ketik <code>@{ $bot } tautan</code> untuk membagikan video tanpa meninggalkan chat.
    • Tambahkan aku ke grup, dan aku akan membalas tautan yang dikirim di sana.

    /lang — ganti bahasa
    /mode — kirim versi asli sebagai file, tanpa kompresi

lang-choose = Pilih bahasamu:
lang-changed = Bahasa diubah ke Bahasa Indonesia.
lang-unknown = Bahasa ini tidak tersedia.

mode-status-on = 📁 Mode file <b>aktif</b>: video dan foto dikirim sebagai file, dengan kualitas asli, tanpa kompresi.
mode-status-off = 🖼 Mode file <b>nonaktif</b>: video dan foto dikirim sebagai media biasa yang bisa langsung diputar di chat.
mode-turn-on = Aktifkan mode file
mode-turn-off = Nonaktifkan mode file

settings-admins-only = Hanya admin grup yang dapat mengubah pengaturannya.

# Di bawah setiap item yang dikirim: tautan kembali ke postingan.
caption-source = 🔗 Sumber
button-sound = 🎵 Suara
button-loading = ⏳ Mengunduh…
sound-prompt = 🎵 Tekan tombol untuk mendapatkan suara dari postingan ini.
images-more-in-private = Menampilkan { $shown } dari { $total } gambar. Kirim tautannya ke aku lewat chat pribadi untuk mendapatkan semuanya.
slideshow-gone = Slideshow ini sudah tidak tersedia. Bagikan tautannya lagi.
button-stale = Tombol ini sudah tidak berfungsi. Kirim tautannya lagi.

# Mode inline (@bot tautan di chat mana pun).
inline-paste-link = Tempel tautan TikTok/Instagram setelah namaku
inline-not-configured-title = Mode inline belum diatur
inline-not-configured-text = Mode inline bot ini belum diatur. Sebagai gantinya, kirim tautannya ke bot lewat chat pribadi.
inline-send-title = Kirim postingan ini
inline-send-description = Video atau fotonya akan muncul di chat sebentar lagi.
inline-loading = ⏳ Mengunduh…

# Alasan tautan tidak bisa dikirim (hanya di chat pribadi).
error-deleted = 🗑 Postingan ini sudah dihapus, atau memang tidak pernah ada.
error-under-review = ⏳ { $platform } sedang meninjau postingan ini, jadi belum bisa diunduh sekarang. Coba lagi nanti.
error-private = 🔒 Postingan ini privat: hanya pengikut pembuatnya yang bisa melihatnya.
error-region = 🌍 Postingan ini tidak tersedia di wilayah tempat aku mengunduh.
error-login-required = 🔑 { $platform } hanya menampilkan postingan ini kepada pengguna yang sudah login, jadi aku tidak bisa mengunduhnya.
error-classified = 🔞 Postingan ini dibatasi usia: { $platform } hanya menampilkannya kepada pengguna dewasa yang sudah login.
error-too-long = ⏱ Video ini terlalu panjang: aku hanya mengirim video berdurasi maksimal { $minutes } menit.
error-too-large = 📦 Video ini terlalu besar untuk dikirim lewat Telegram (lebih dari { $megabytes } MB).
error-rate-limited = 🐢 { $platform } sedang membatasi permintaan. Coba lagi dalam semenit, ya.
error-network = 📡 Aku tidak bisa terhubung ke { $platform }. Coba lagi beberapa saat lagi, ya.
error-invalid-link = 🔗 Tautan ini tidak mengarah ke postingan { $platform }. Mungkin tautannya sudah kedaluwarsa.
error-unsupported = 🤷 Aku tidak bisa mengunduh jenis postingan ini.
error-unsupported-link = 🔗 Aku bisa mengunduh video dan postingan foto TikTok, serta Reels dan postingan Instagram. Tautan ini bukan salah satunya.
error-no-link = 📎 Kirimkan tautan postingan TikTok atau Instagram, misalnya https://vm.tiktok.com/abc/ atau https://www.instagram.com/reel/abc/
error-not-a-link = 📎 Aku bekerja dengan tautan: kirimkan tautan TikTok atau Instagram, bukan file atau pesan suara.
error-unexpected = 😵 Ada yang salah di sisiku. Coba lagi nanti, ya.

# Batas dan saat bot dimatikan.
button-retry = 🔁 Coba lagi
queue-full = ⏳ Kamu masih punya beberapa tautan yang sedang diproses. Tunggu sampai selesai, lalu tekan tombolnya.
inline-queue-full = ⏳ Terlalu banyak tautan sekaligus. Coba lagi sebentar lagi.
spam-muted = 🙊 Banyak sekali tautan sekaligus. Aku akan menerima tautan baru lagi dalam { $seconds } detik.
shutdown-retry = 🔧 Aku sedang memulai ulang dan belum sempat menyelesaikan yang ini. Coba lagi dalam semenit, ya.

# Alat admin (hanya untuk ADMIN_IDS).
admin-failure =
    🛠 <b>Permintaan { $request } gagal</b>
    Tautan: { $link }
    Tahap: { $stage }, percobaan: { $attempts }
    Proxy: { $proxy }
    Kesalahan: <code>{ $error }</code>
admin-stats =
    📊 <b>Statistik</b>
    Pengguna: { $users } (memblokir bot: { $blocked })
    Grup: { $groups }
    Unduhan: 24 jam { $day }, 7 hari { $week }, 30 hari { $month }, total { $total }
    Per platform: { $platforms }
    Per jenis: { $kinds }
    Dikirim dari cache: { $hits }%
    Kesalahan tersering, 30 hari: { $errors }
alert-stage-broken = ⚠️ { $platform }: tahap { $stage } gagal: { $count } dari { $window } permintaan terakhir gagal dengan
    <code>{ $error }</code>
alert-stage-recovered = ✅ { $platform }: tahap { $stage } berfungsi lagi ({ $count } dari { $window } terakhir gagal seperti itu).
admin-proxies = 🌐 Proksi (proses ini): { $states }
admin-chart-title = Unduhan per hari, 14 hari terakhir
broadcast-usage = Balas pesan yang ingin kamu kirim ke semua orang dengan /broadcast.
broadcast-confirm = Kirim pesan ini ke { $total } chat?
broadcast-send = ✅ Kirim ke { $total }
broadcast-cancel = ✖ Batal
broadcast-progress = 📣 Siaran: { $done } dari { $total } chat selesai.
broadcast-done = 📣 Siaran selesai: terkirim { $sent }, memblokir bot { $blocked }, gagal { $failed }.

# Slideshow sebagai satu video, suara dari video apa pun, konversi
button-video = 🎬 Video
button-pictures = 🖼 Gambar
video-prompt = 🎬 Tekan tombol untuk mendapatkan gambar-gambar ini sebagai satu video.
sound-video-prompt = 🎵 Suaranya, atau 🎬 seluruh postingan sebagai satu video dengan suaranya:
slideshow-video-on = 🎬 Slideshow dikirim sebagai <b>satu video</b> dengan suaranya (🖼 di bawahnya untuk gambarnya).
slideshow-video-off = 🖼 Slideshow dikirim sebagai <b>gambar</b> (🎬 di bawahnya membuat satu video dengan suaranya).
slideshow-video-turn-on = Slideshow sebagai satu video
slideshow-video-turn-off = Slideshow sebagai gambar
progress-render = 🎬 Membuat video… { $percent }%
progress-convert = 🔄 Mengonversi video agar bisa diputar di semua perangkat… { $percent }%
progress-compress = 🗜 Video ini lebih dari { $megabytes } MB, jadi saya mengompresnya… { $percent }%
error-no-sound = 🔇 Postingan ini tidak punya suara.
inline-video-title = 🎬 Kirim sebagai satu video
inline-video-description = Gambar dan suaranya sebagai satu video.
guest-no-link = Tulis tautan TikTok atau Instagram setelah namaku, dan aku akan memposting video atau fotonya di sini.
guest-not-configured = Mode tamu bot ini belum diatur. Sebagai gantinya, kirim tautannya ke bot lewat chat pribadi.
