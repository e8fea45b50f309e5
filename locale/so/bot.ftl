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
