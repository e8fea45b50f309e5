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
