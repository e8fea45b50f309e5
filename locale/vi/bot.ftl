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
