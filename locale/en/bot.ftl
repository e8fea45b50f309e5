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

# Under every delivered item: the link back to the post.
caption-source = 🔗 Source
button-sound = 🎵 Sound
button-loading = ⏳ Downloading…
sound-prompt = 🎵 Press the button to get the sound of this post.
images-more-in-private = Showing { $shown } of { $total } images. Send me the link in a private chat to get all of them.
slideshow-gone = This slideshow is no longer available. Share the link again.
button-stale = This button no longer works. Send the link again.

# Inline mode (@bot link in any chat).
inline-paste-link = Paste a TikTok or Instagram link after my name
inline-not-configured-title = Inline mode is not set up
inline-not-configured-text = Inline mode of this bot is not set up yet. Send the link to the bot in a private chat instead.
inline-send-title = Send this post
inline-send-description = The video or the photos appear in the chat in a moment.
inline-loading = ⏳ Downloading…

# Why a link could not be delivered (private chats only).
error-deleted = 🗑 This post was deleted, or it never existed.
error-under-review = ⏳ { $platform } is reviewing this post, so it can't be downloaded right now. Try again later.
error-private = 🔒 This post is private: only its author's followers can see it.
error-region = 🌍 This post isn't available in the region I download from.
error-login-required = 🔑 { $platform } shows this post only to logged-in users, so I can't download it.
error-classified = 🔞 This post is age-restricted: { $platform } shows it only to logged-in adults.
error-too-long = ⏱ This video is too long: I send videos of up to { $minutes } min.
error-too-large = 📦 This video is too large to send through Telegram (more than { $megabytes } MB).
error-rate-limited = 🐢 { $platform } is limiting requests right now. Please try again in a minute.
error-network = 📡 I couldn't reach { $platform }. Please try again in a moment.
error-invalid-link = 🔗 This link doesn't lead to a { $platform } post. It may have expired.
error-unsupported = 🤷 I can't download this kind of post.
error-unsupported-link = 🔗 I can download TikTok videos and photo posts, and Instagram reels and posts. This link isn't one of them.
error-no-link = 📎 Send me a link to a TikTok or Instagram post, like https://vm.tiktok.com/abc/ or https://www.instagram.com/reel/abc/
error-not-a-link = 📎 I work with links: send me the TikTok or Instagram link instead of a file or a voice message.
error-unexpected = 😵 Something went wrong on my side. Please try again later.

# Limits and shutdown.
button-retry = 🔁 Try again
queue-full = ⏳ You already have several links in progress. Wait for them, then press the button.
inline-queue-full = ⏳ Too many links at once. Try again in a moment.
spam-muted = 🙊 That's a lot of links at once. I'll take new ones again in { $seconds } s.
shutdown-retry = 🔧 I'm restarting and couldn't finish this one. Please try again in a minute.

# Admin tools (only for ADMIN_IDS).
admin-failure =
    🛠 <b>Request { $request } failed</b>
    Link: { $link }
    Stage: { $stage }, attempts: { $attempts }
    Proxy: { $proxy }
    Error: <code>{ $error }</code>
admin-stats =
    📊 <b>Statistics</b>
    Users: { $users } (blocked the bot: { $blocked })
    Groups: { $groups }
    Downloads: 24 h { $day }, 7 days { $week }, 30 days { $month }, all time { $total }
    By platform: { $platforms }
    By kind: { $kinds }
    Sent from the cache: { $hits }%
    Most frequent errors, 30 days: { $errors }
alert-stage-broken = ⚠️ { $platform } { $stage } is failing: { $count } of the last { $window } requests failed with
    <code>{ $error }</code>
alert-stage-recovered = ✅ { $platform } { $stage } works again ({ $count } of the last { $window } failed that way).
admin-proxies = 🌐 Proxies (this process): { $states }
admin-chart-title = Downloads per day, last 14 days
broadcast-usage = Reply with /broadcast to the message you want to send to everyone.
broadcast-confirm = Send this message to { $total } chats?
broadcast-send = ✅ Send to { $total }
broadcast-cancel = ✖ Cancel
broadcast-progress = 📣 Broadcast: { $done } of { $total } chats done.
broadcast-done = 📣 Broadcast finished: sent { $sent }, blocked { $blocked }, failed { $failed }.

# Slideshows as one video, sounds from any video, conversions
button-video = 🎬 Video
button-pictures = 🖼 Pictures
video-prompt = 🎬 Press the button to get these pictures as one video.
sound-video-prompt = 🎵 The sound, or 🎬 the whole post as one video with its sound:
slideshow-video-on = 🎬 Slideshows arrive as <b>one video</b> with their sound (🖼 under it brings the pictures).
slideshow-video-off = 🖼 Slideshows arrive as <b>pictures</b> (🎬 under them makes one video with the sound).
slideshow-video-turn-on = Slideshows as one video
slideshow-video-turn-off = Slideshows as pictures
progress-render = 🎬 Making the video… { $percent }%
progress-convert = 🔄 Converting the video so it plays on every device… { $percent }%
progress-compress = 🗜 This video is over { $megabytes } MB, so I'm compressing it to fit… { $percent }%
error-no-sound = 🔇 This post has no sound.
inline-video-title = 🎬 Send as one video
inline-video-description = The pictures and the sound as one video.
guest-no-link = Write a TikTok or Instagram link after my name, and I'll post the video or the photos here.
guest-not-configured = Guest mode of this bot is not set up yet. Send the link to the bot in a private chat instead.
