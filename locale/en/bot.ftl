# The language's own name, shown in the /lang keyboard.
language-name = 🇬🇧 English

# Command descriptions for the Telegram menu (setMyCommands).
cmd-start = Start the bot
cmd-help = How to use the bot
cmd-lang = Change the language
cmd-mode = Send originals as files

start-welcome =
    👋 Hi, { $name }!

    Send me a link to a TikTok or an Instagram post and I will send back the video, the photos or the sound, without a watermark.

    You can also use me in any chat: type <code>@{ $bot } link</code>. Add me to a group and I will answer every link posted there.

help-text =
    <b>How to use me</b>

    • Paste a TikTok or Instagram link here and I will send the video, the photos or the sound.
    • Press <b>🎵 Sound</b> under a video to get its music.
    • In any chat, type <code>@{ $bot } link</code> to share a video without leaving the chat.
    • Add me to a group and I will answer links posted there.

    /lang — change the language
    /mode — send originals as files, without compression

lang-choose = Choose your language:
lang-changed = Language changed to English.
lang-unknown = This language is not available.

mode-status-on = 📁 File mode is <b>on</b>: videos and photos arrive as files, in their original quality, without compression.
mode-status-off = 🖼 File mode is <b>off</b>: videos and photos arrive as regular media that play right in the chat.
mode-turn-on = Turn file mode on
mode-turn-off = Turn file mode off

settings-admins-only = Only the group's administrators can change its settings.
