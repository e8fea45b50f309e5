# Tên của ngôn ngữ bằng chính ngôn ngữ đó, hiển thị trên bàn phím /lang.
language-name = 🇻🇳 Tiếng Việt

# Mô tả lệnh cho menu Telegram (setMyCommands).
cmd-start = Khởi động bot
cmd-help = Cách sử dụng bot
cmd-lang = Đổi ngôn ngữ
cmd-mode = Gửi bản gốc dưới dạng tệp

start-welcome =
    👋 Chào { $name }!

    Hãy gửi cho mình liên kết bài đăng TikTok hoặc Instagram, mình sẽ gửi lại video, ảnh hoặc âm thanh, không có watermark.

    Bạn cũng có thể dùng mình trong bất kỳ cuộc trò chuyện nào: gõ <code>@{ $bot } liên kết</code>. Thêm mình vào nhóm, mình sẽ trả lời mọi liên kết được gửi ở đó.

help-text =
    <b>Cách sử dụng mình</b>

    • Dán liên kết TikTok hoặc Instagram vào đây, mình sẽ gửi video, ảnh hoặc âm thanh.
    • Nhấn <b>🎵 Âm thanh</b> bên dưới video để lấy nhạc của video đó.
    • Trong bất kỳ cuộc trò chuyện nào, gõ <code>@{ $bot } liên kết</code> để chia sẻ video mà không cần rời khỏi cuộc trò chuyện.
    • Thêm mình vào nhóm, mình sẽ trả lời các liên kết được gửi ở đó.

    /lang — đổi ngôn ngữ
    /mode — gửi bản gốc dưới dạng tệp, không nén

lang-choose = Chọn ngôn ngữ của bạn:
lang-changed = Đã đổi ngôn ngữ sang tiếng Việt.
lang-unknown = Ngôn ngữ này không khả dụng.

mode-status-on = 📁 Chế độ tệp đang <b>bật</b>: video và ảnh được gửi dưới dạng tệp, giữ nguyên chất lượng gốc, không nén.
mode-status-off = 🖼 Chế độ tệp đang <b>tắt</b>: video và ảnh được gửi như nội dung đa phương tiện thông thường, phát ngay trong cuộc trò chuyện.
mode-turn-on = Bật chế độ tệp
mode-turn-off = Tắt chế độ tệp

settings-admins-only = Chỉ quản trị viên của nhóm mới có thể thay đổi cài đặt của nhóm.

# Bên dưới mỗi nội dung được gửi: liên kết dẫn về bài đăng gốc.
caption-source = 🔗 Nguồn
button-sound = 🎵 Âm thanh
button-loading = ⏳ Đang tải…
sound-prompt = 🎵 Nhấn nút để lấy âm thanh của bài đăng này.
images-more-in-private = Đang hiển thị { $shown }/{ $total } ảnh. Hãy gửi liên kết cho mình trong cuộc trò chuyện riêng để nhận tất cả.
slideshow-gone = Slideshow này không còn khả dụng. Hãy chia sẻ lại liên kết.
button-stale = Nút này không còn hoạt động. Hãy gửi lại liên kết.

# Chế độ inline (@bot liên kết trong bất kỳ cuộc trò chuyện nào).
inline-paste-link = Dán liên kết TikTok hay Instagram sau tên mình
inline-not-configured-title = Chế độ inline chưa được thiết lập
inline-not-configured-text = Chế độ inline của bot này chưa được thiết lập. Thay vào đó, hãy gửi liên kết cho bot trong cuộc trò chuyện riêng.
inline-send-title = Gửi bài đăng này
inline-send-description = Video hoặc ảnh sẽ xuất hiện trong cuộc trò chuyện sau giây lát.
inline-loading = ⏳ Đang tải…

# Lý do không gửi được liên kết (chỉ trong cuộc trò chuyện riêng).
error-deleted = 🗑 Bài đăng này đã bị xóa hoặc chưa từng tồn tại.
error-under-review = ⏳ { $platform } đang xem xét bài đăng này nên hiện chưa thể tải xuống. Hãy thử lại sau.
error-private = 🔒 Bài đăng này ở chế độ riêng tư: chỉ người theo dõi tác giả mới xem được.
error-region = 🌍 Bài đăng này không khả dụng ở khu vực mà mình tải xuống.
error-login-required = 🔑 { $platform } chỉ hiển thị bài đăng này cho người dùng đã đăng nhập nên mình không thể tải xuống.
error-classified = 🔞 Bài đăng này bị giới hạn độ tuổi: { $platform } chỉ hiển thị cho người dùng đủ tuổi đã đăng nhập.
error-too-long = ⏱ Video này quá dài: mình chỉ gửi video dài tối đa { $minutes } phút.
error-too-large = 📦 Video này quá lớn để gửi qua Telegram (hơn { $megabytes } MB).
error-rate-limited = 🐢 { $platform } đang giới hạn số lượng yêu cầu. Hãy thử lại sau một phút nhé.
error-network = 📡 Mình không kết nối được với { $platform }. Hãy thử lại sau giây lát nhé.
error-invalid-link = 🔗 Liên kết này không dẫn đến bài đăng { $platform } nào. Có thể liên kết đã hết hạn.
error-unsupported = 🤷 Mình không thể tải xuống loại bài đăng này.
error-unsupported-link = 🔗 Mình có thể tải video và bài đăng ảnh từ TikTok, cùng Reels và bài đăng từ Instagram. Liên kết này không thuộc loại đó.
error-no-link = 📎 Hãy gửi cho mình liên kết bài đăng TikTok hoặc Instagram, ví dụ https://vm.tiktok.com/abc/ hoặc https://www.instagram.com/reel/abc/
error-not-a-link = 📎 Mình làm việc với liên kết: hãy gửi liên kết TikTok hoặc Instagram thay vì tệp hoặc tin nhắn thoại.
error-unexpected = 😵 Có lỗi xảy ra ở phía mình. Hãy thử lại sau nhé.

# Giới hạn và khi bot tắt.
button-retry = 🔁 Thử lại
queue-full = ⏳ Bạn đang có vài liên kết chưa xử lý xong. Hãy đợi chúng xong rồi nhấn nút.
inline-queue-full = ⏳ Quá nhiều liên kết cùng lúc. Hãy thử lại sau giây lát.
spam-muted = 🙊 Nhiều liên kết cùng lúc quá. Mình sẽ nhận liên kết mới sau { $seconds } giây nữa.
shutdown-retry = 🔧 Mình đang khởi động lại nên chưa xử lý xong liên kết này. Hãy thử lại sau một phút nhé.

# Công cụ quản trị (chỉ dành cho ADMIN_IDS).
admin-failure =
    🛠 <b>Yêu cầu { $request } thất bại</b>
    Liên kết: { $link }
    Giai đoạn: { $stage }, số lần thử: { $attempts }
    Proxy: { $proxy }
    Lỗi: <code>{ $error }</code>
admin-stats =
    📊 <b>Thống kê</b>
    Người dùng: { $users } (đã chặn bot: { $blocked })
    Nhóm: { $groups }
    Lượt tải: 24 giờ { $day }, 7 ngày { $week }, 30 ngày { $month }, tổng cộng { $total }
    Theo nền tảng: { $platforms }
    Theo loại: { $kinds }
    Gửi từ bộ nhớ đệm: { $hits }%
    Lỗi thường gặp nhất trong 30 ngày: { $errors }
alert-stage-broken = ⚠️ { $platform }: bước { $stage } đang lỗi: { $count } trong { $window } yêu cầu gần nhất lỗi với
    <code>{ $error }</code>
alert-stage-recovered = ✅ { $platform }: bước { $stage } đã hoạt động lại ({ $count } trong { $window } lần gần nhất lỗi như vậy).
admin-proxies = 🌐 Proxy (tiến trình này): { $states }
admin-chart-title = Lượt tải mỗi ngày, 14 ngày gần nhất
broadcast-usage = Hãy trả lời tin nhắn bạn muốn gửi cho mọi người bằng lệnh /broadcast.
broadcast-confirm = Gửi tin nhắn này đến { $total } cuộc trò chuyện?
broadcast-send = ✅ Gửi đến { $total }
broadcast-cancel = ✖ Hủy
broadcast-progress = 📣 Gửi hàng loạt: đã xong { $done }/{ $total } cuộc trò chuyện.
broadcast-done = 📣 Gửi hàng loạt hoàn tất: đã gửi { $sent }, bị chặn { $blocked }, thất bại { $failed }.

# Slideshow thành một video, âm thanh từ mọi video, chuyển đổi
button-video = 🎬 Video
button-pictures = 🖼 Ảnh
video-prompt = 🎬 Nhấn nút để nhận các ảnh này thành một video.
sound-video-prompt = 🎵 Âm thanh, hoặc 🎬 cả bài đăng thành một video có âm thanh:
slideshow-video-on = 🎬 Slideshow được gửi thành <b>một video</b> có âm thanh (🖼 bên dưới để lấy ảnh).
slideshow-video-off = 🖼 Slideshow được gửi dưới dạng <b>ảnh</b> (🎬 bên dưới để tạo một video có âm thanh).
slideshow-video-turn-on = Slideshow thành một video
slideshow-video-turn-off = Slideshow dưới dạng ảnh
progress-render = 🎬 Đang tạo video… { $percent }%
progress-convert = 🔄 Đang chuyển đổi video để phát được trên mọi thiết bị… { $percent }%
progress-compress = 🗜 Video này lớn hơn { $megabytes } MB, đang nén cho vừa… { $percent }%
error-no-sound = 🔇 Bài đăng này không có âm thanh.
inline-video-title = 🎬 Gửi thành một video
inline-video-description = Ảnh và âm thanh thành một video.
guest-no-link = Hãy viết liên kết TikTok hoặc Instagram sau tên của tôi, tôi sẽ đăng video hoặc ảnh ngay tại đây.
guest-not-configured = Chế độ khách của bot này chưa được thiết lập. Thay vào đó, hãy gửi liên kết cho bot trong cuộc trò chuyện riêng.
