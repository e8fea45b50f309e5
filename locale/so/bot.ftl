# Magaca luqadda ee luqaddeeda, waxaa lagu muujiyaa kiiboodhka /lang.
language-name = 🇸🇴 Soomaali

# Sharraxaadda amarrada ee liiska Telegram (setMyCommands).
cmd-start = Bilow bot-ka
cmd-help = Sida loo isticmaalo bot-ka
cmd-lang = Beddel luqadda
cmd-mode = U dir asalka sida faylal

start-welcome =
    👋 Salaan, { $name }!

    Ii soo dir link-ga qoraal TikTok ama Instagram ah, waxaanan kuu soo celin doonaa muuqaalka, sawirrada ama codka, iyadoon watermark lahayn.

    Sidoo kale waad igu isticmaali kartaa wada-sheekaysi kasta: qor <code>@{ $bot } link</code>. Igu dar koox, waxaanan ka jawaabi doonaa link kasta oo halkaas lagu soo dhigo.

help-text =
    <b>Sida la iigu isticmaalo</b>

    • Halkan ku dheji link TikTok ama Instagram ah, waxaanan kuu soo diri doonaa muuqaalka, sawirrada ama codka.
    • Riix <b>🎵 Cod</b> oo ka hooseeya muuqaal si aad u hesho muusigiisa.
    • Wada-sheekaysi kasta, qor <code>@{ $bot } link</code> si aad u wadaagto muuqaal adigoon ka bixin wada-sheekaysiga.
    • Igu dar koox, waxaanan ka jawaabi doonaa link-yada halkaas lagu soo dhigo.

    /lang — beddel luqadda
    /mode — u dir asalka sida faylal, cufid la'aan

lang-choose = Dooro luqaddaada:
lang-changed = Luqadda waxaa loo beddelay Soomaali.
lang-unknown = Luqaddan lama heli karo.

mode-status-on = 📁 Habka faylka <b>wuu shidan yahay</b>: muuqaallada iyo sawirradu waxay u imanayaan fayl ahaan, tayadoodii asalka ahayd, cufid la'aan.
mode-status-off = 🖼 Habka faylka <b>wuu dansan yahay</b>: muuqaallada iyo sawirradu waxay u imanayaan warbaahin caadi ah oo si toos ah uga shaqeeya wada-sheekaysiga.
mode-turn-on = Shid habka faylka
mode-turn-off = Dami habka faylka

settings-admins-only = Maamulayaasha kooxda oo keliya ayaa beddeli kara dejimaheeda.

# Shay kasta oo la soo diro hoostiisa: link-ga dib ugu celinaya qoraalka.
caption-source = 🔗 Isha
button-sound = 🎵 Cod
button-loading = ⏳ Waa la soo dejinayaa…
sound-prompt = 🎵 Riix badhanka si aad u hesho codka qoraalkan.
images-more-in-private = Waxaa la muujiyay { $shown } ka mid ah { $total } sawir. Link-ga iigu soo dir wada-sheekaysi gaar ah si aad u hesho dhammaantood.
slideshow-gone = Bandhiggan sawirrada hadda lama heli karo. Mar kale wadaag link-ga.
button-stale = Badhankan hadda ma shaqeeyo. Mar kale soo dir link-ga.

# Habka inline (@bot link wada-sheekaysi kasta).
inline-paste-link = Ku dheji link TikTok/Instagram magacayga kadib
inline-not-configured-title = Habka inline lama dejin
inline-not-configured-text = Habka inline ee bot-kan weli lama dejin. Taa beddelkeeda, link-ga u dir bot-ka wada-sheekaysi gaar ah.
inline-send-title = Dir qoraalkan
inline-send-description = Muuqaalka ama sawirradu waxay ka soo muuqan doonaan wada-sheekaysiga dhowr ilbiriqsi kadib.
inline-loading = ⏳ Waa la soo dejinayaa…

# Sababta link-ga loo gudbin waayay (wada-sheekaysiyada gaarka ah oo keliya).
error-deleted = 🗑 Qoraalkan waa la tirtiray, ama weligiis ma jirin.
error-under-review = ⏳ { $platform } ayaa dib u eegaya qoraalkan, sidaa darteed hadda lama soo dejin karo. Mar dambe isku day.
error-private = 🔒 Qoraalkan waa mid gaar ah: waxaa arki kara oo keliya kuwa raaca qoraagiisa.
error-region = 🌍 Qoraalkan lagama heli karo gobolka aan wax ka soo dejiyo.
error-login-required = 🔑 { $platform } wuxuu qoraalkan u muujiyaa oo keliya isticmaalayaasha akoonkooda ku jira, sidaa darteed ma soo dejin karo.
error-classified = 🔞 Qoraalkan waxaa lagu xaddiday da'da: { $platform } wuxuu u muujiyaa oo keliya dadka waaweyn ee akoonkooda ku jira.
error-too-long = ⏱ Muuqaalkan aad buu u dheer yahay: waxaan diraa muuqaallo aan ka badnayn { $minutes } daqiiqo.
error-too-large = 📦 Muuqaalkan aad buu u weyn yahay in Telegram lagu diro (wuxuu ka badan yahay { $megabytes } MB).
error-rate-limited = 🐢 { $platform } hadda wuu xaddidayaa codsiyada. Fadlan mar kale isku day daqiiqad kadib.
error-network = 📡 Waan gaari waayay { $platform }. Fadlan mar kale isku day wax yar kadib.
error-invalid-link = 🔗 Link-gan uma horseedo qoraal { $platform } ah. Waxaa laga yaabaa inuu dhacay.
error-unsupported = 🤷 Ma soo dejin karo qoraallada noocan ah.
error-unsupported-link = 🔗 Waxaan soo dejin karaa muuqaallada iyo qoraallada sawirrada ee TikTok, iyo reels-ka iyo qoraallada Instagram. Link-gani kama mid aha kuwaas.
error-no-link = 📎 Ii soo dir link qoraal TikTok ama Instagram ah, sida https://vm.tiktok.com/abc/ ama https://www.instagram.com/reel/abc/
error-not-a-link = 📎 Waxaan la shaqeeyaa link-yada: ii soo dir link-ga TikTok ama Instagram, ha ii soo dirin fayl ama fariin cod ah.
error-unexpected = 😵 Wax baa khaldamay dhankayga. Fadlan mar dambe isku day.

# Xadadka iyo joojinta.
button-retry = 🔁 Isku day mar kale
queue-full = ⏳ Horeba waxaad haysataa dhowr link oo la shaqeynayo. Sug inta ay dhammaanayaan, kadibna riix badhanka.
inline-queue-full = ⏳ Link-yo badan hal mar. Isku day mar kale wax yar kadib.
spam-muted = 🙊 Waa link-yo badan hal mar. Waxaan mar kale aqbali doonaa kuwo cusub { $seconds } ilbiriqsi kadib.
shutdown-retry = 🔧 Dib ayaan u bilaabanayaa, waxaanan awoodi waayay inaan dhammeeyo kan. Fadlan mar kale isku day daqiiqad kadib.

# Qalabka maamulka (ADMIN_IDS oo keliya).
admin-failure =
    🛠 <b>Codsiga { $request } wuu fashilmay</b>
    Link: { $link }
    Heerka: { $stage }, isku dayo: { $attempts }
    Proxy: { $proxy }
    Khalad: <code>{ $error }</code>
admin-stats =
    📊 <b>Tirakoob</b>
    Isticmaalayaasha: { $users } (xannibay bot-ka: { $blocked })
    Kooxaha: { $groups }
    Soo dejinta: 24 saac { $day }, 7 maalmood { $week }, 30 maalmood { $month }, wadarta { $total }
    Madal ahaan: { $platforms }
    Nooc ahaan: { $kinds }
    Laga soo diray kaydka: { $hits }%
    Khaladaadka ugu badan, 30 maalmood: { $errors }
alert-stage-broken = ⚠️ { $platform }: marxaladda { $stage } way fashilantahay: { $count } ka mid ah { $window }-kii codsi ee u dambeeyay ayaa ku fashilmay
    <code>{ $error }</code>
alert-stage-recovered = ✅ { $platform }: marxaladda { $stage } mar kale way shaqaynaysaa ({ $count } ka mid ah { $window }-kii u dambeeyay).
admin-proxies = 🌐 Proxy-yada (habkan): { $states }
admin-chart-title = Soo dejinta maalintii, 14-kii maalmood ee u dambeeyay
broadcast-usage = /broadcast ugu jawaab fariinta aad rabto inaad u dirto qof kasta.
broadcast-confirm = Ma u diraa fariintan { $total } wada-sheekaysi?
broadcast-send = ✅ U dir { $total }
broadcast-cancel = ✖ Ka noqo
broadcast-progress = 📣 Baahin: { $done } ka mid ah { $total } wada-sheekaysi waa la dhammeeyay.
broadcast-done = 📣 Baahintii way dhammaatay: la diray { $sent }, xannibay bot-ka { $blocked }, fashilmay { $failed }.

# Bandhig sawirro oo hal muuqaal ah, cod ka yimid muuqaal kasta, beddelid
button-video = 🎬 Muuqaal
button-pictures = 🖼 Sawirro
video-prompt = 🎬 Riix badhanka si aad sawiradan u hesho hal muuqaal ahaan.
sound-video-prompt = 🎵 Codka, ama 🎬 qoraalka oo dhan hal muuqaal oo leh codkiisa:
slideshow-video-on = 🎬 Bandhigyada sawirradu waxay yimaadaan <b>hal muuqaal</b> oo leh codkooda (🖼 hoostiisa ayaa keena sawirrada).
slideshow-video-off = 🖼 Bandhigyada sawirradu waxay yimaadaan <b>sawirro</b> ahaan (🎬 hoostooda ayaa sameeya hal muuqaal oo cod leh).
slideshow-video-turn-on = Bandhigyada oo hal muuqaal ah
slideshow-video-turn-off = Bandhigyada oo sawirro ah
progress-render = 🎬 Waxaan samaynayaa muuqaalka… { $percent }%
progress-convert = 🔄 Waxaan beddelayaa muuqaalka si uu ugu shaqeeyo qalab kasta… { $percent }%
progress-compress = 🗜 Muuqaalkani wuxuu ka weyn yahay { $megabytes } MB, waan yareynayaa si uu ugu filnaado… { $percent }%
error-no-sound = 🔇 Qoraalkan cod ma leh.
inline-video-title = 🎬 U dir hal muuqaal ahaan
inline-video-description = Sawirrada iyo codka oo hal muuqaal ah.
guest-no-link = Qor link TikTok ama Instagram magacayga kadib, waxaanan halkan ku soo dhigi doonaa muuqaalka ama sawirrada.
guest-not-configured = Habka martida ee bot-kan weli lama dejin. Taa beddelkeeda, link-ga u dir bot-ka wada-sheekaysi gaar ah.
