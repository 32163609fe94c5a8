"""Fill the Vietnamese message catalogue from the table below, then compile it.

    make messages            # extract new strings (needs GNU gettext)
    .venv/bin/python scripts/vi_catalogue.py

Strings missing from the table are listed and left untranslated.
"""

from __future__ import annotations

from pathlib import Path

import polib

PO = Path(__file__).resolve().parent.parent / "nrs" / "locale" / "vi" / "LC_MESSAGES" / "django.po"

VI = {
    "Accounts": "Tài khoản", "full name": "họ và tên", "demo account": "tài khoản demo",
    "user": "người dùng", "users": "người dùng", "Leader": "Lãnh đạo",
    "Coordinator": "Điều phối", "Reporter": "Cán bộ báo cáo", "Approver": "Người duyệt",
    "Viewer": "Người xem", "Auditor": "Kiểm toán", "System (machine client)": "Hệ thống (máy)",
    "role": "vai trò", "org unit": "đơn vị", "granted by": "người cấp", "granted at": "thời điểm cấp",
    "revoked at": "thời điểm thu hồi", "role grant": "phân quyền", "role grants": "phân quyền",
    "Audit": "Nhật ký", "Registry loaded": "Nạp danh mục", "Org unit changed": "Sửa đơn vị",
    "Indicator changed": "Sửa chỉ tiêu", "Report regime changed": "Sửa chế độ báo cáo",
    "Metadata changed": "Sửa danh mục", "Annual target set": "Đặt kế hoạch năm",
    "User created": "Tạo người dùng", "User changed": "Sửa người dùng",
    "Role granted": "Cấp quyền", "Role revoked": "Thu hồi quyền", "Signed in": "Đăng nhập",
    "Sign-in failed": "Đăng nhập thất bại", "Signed out": "Đăng xuất", "time": "thời gian",
    "event": "sự kiện", "actor": "người thực hiện", "object type": "loại đối tượng",
    "object id": "mã đối tượng", "summary": "tóm tắt", "details": "chi tiết",
    "action id": "mã thao tác", "audit event": "sự kiện nhật ký", "audit events": "nhật ký",
    "Registry": "Danh mục", "name (Vietnamese)": "tên (tiếng Việt)",
    "name (English)": "tên (tiếng Anh)", "Government": "Chính phủ", "Ministry": "Bộ",
    "Ministerial-level agency": "Cơ quan ngang bộ", "Government agency": "Cơ quan thuộc Chính phủ",
    "Province": "Tỉnh", "Centrally-run city": "Thành phố trực thuộc trung ương",
    "District (before 2025)": "Huyện (trước 2025)", "Commune": "Xã", "Ward": "Phường",
    "Township (before 2025)": "Thị trấn (trước 2025)", "Special zone": "Đặc khu",
    "National": "Toàn quốc", "Central agency": "Cơ quan trung ương", "District": "Cấp huyện",
    "code": "mã", "kind": "loại", "level": "cấp", "parent": "đơn vị cha", "path": "đường dẫn",
    "valid from": "hiệu lực từ", "valid to": "hiệu lực đến", "latitude": "vĩ độ",
    "longitude": "kinh độ", "area (km²)": "diện tích (km²)", "short name": "tên ngắn",
    "org units": "đơn vị", "Merged into": "Sáp nhập", "Split into": "Chia tách",
    "Renamed / re-coded": "Đổi tên / đổi mã", "Functions transferred": "Chuyển giao chức năng",
    "predecessor": "đơn vị trước", "successor": "đơn vị kế thừa",
    "effective date": "ngày hiệu lực", "share": "tỷ lệ", "note": "ghi chú",
    "lineage link": "quan hệ kế thừa", "lineage links": "quan hệ kế thừa",
    "Economic growth": "Tăng trưởng kinh tế", "Public finance": "Tài chính công",
    "Macroeconomic stability": "Ổn định kinh tế vĩ mô",
    "Business environment": "Môi trường kinh doanh",
    "Labour and employment": "Lao động, việc làm", "Social issues": "Xã hội",
    "Environment": "Môi trường",
    "Public administration serving citizens": "Hành chính công phục vụ người dân",
    "Infrastructure, science and technology": "Hạ tầng, khoa học và công nghệ",
    "measurement unit": "đơn vị tính", "measurement units": "đơn vị tính",
    "breakdown codelist": "phân tổ", "breakdown codelists": "phân tổ", "codes": "mã",
    "Monthly": "Hằng tháng", "Quarterly": "Hằng quý", "Six-monthly": "6 tháng",
    "Nine months": "9 tháng", "Annual": "Hằng năm", "Integer": "Số nguyên",
    "Decimal": "Số thập phân", "Sum": "Cộng", "Weighted mean": "Bình quân gia quyền",
    "Not aggregated": "Không tổng hợp", "Average": "Bình quân", "Last value": "Giá trị cuối kỳ",
    "area": "lĩnh vực", "unit": "đơn vị tính", "value type": "kiểu giá trị",
    "decimals": "số chữ số thập phân", "frequency": "kỳ báo cáo",
    "lowest reporting level": "cấp báo cáo thấp nhất",
    "aggregation over units": "tổng hợp theo đơn vị", "weighted by": "quyền số",
    "aggregation over time": "tổng hợp theo thời gian", "breakdowns": "phân tổ",
    "formula": "công thức",
    "For derived indicators: arithmetic over indicator codes.":
        "Với chỉ tiêu dẫn xuất: phép tính trên mã các chỉ tiêu.",
    "headline KPI": "chỉ tiêu chủ yếu", "description (Vietnamese)": "mô tả (tiếng Việt)",
    "description (English)": "mô tả (tiếng Anh)", "source note": "nguồn",
    "indicator": "chỉ tiêu", "indicators": "chỉ tiêu", "agency": "cơ quan",
    "responsible agency": "cơ quan chịu trách nhiệm",
    "responsible agencies": "cơ quan chịu trách nhiệm", "Periodic": "Định kỳ",
    "Thematic": "Chuyên đề", "Ad hoc": "Đột xuất", "Text": "Văn bản", "Data": "Số liệu",
    "Text and data": "Văn bản và số liệu", "Listed units": "Các đơn vị được liệt kê",
    "All provinces": "Tất cả tỉnh, thành phố",
    "All ministries and ministerial-level agencies": "Tất cả bộ, cơ quan ngang bộ",
    "All communes": "Tất cả xã, phường, đặc khu",
    "Working days after cut-off": "Số ngày làm việc sau ngày chốt số liệu",
    "Day of month": "Ngày trong tháng", "type": "loại", "content": "nội dung",
    "Blank for ad hoc reports.": "Để trống với báo cáo đột xuất.",
    "cut-off day": "ngày chốt số liệu",
    "The window runs from this day of the previous month to the day before it in the last "
    "month (Decree 09: 15).":
        "Thời gian chốt số liệu từ ngày này của tháng trước đến ngày liền trước của tháng cuối "
        "kỳ (Nghị định 09: ngày 15).",
    "deadline rule": "quy tắc thời hạn", "deadline value": "giá trị thời hạn",
    "deadline month offset": "số tháng lùi thời hạn", "reporting units": "đơn vị báo cáo",
    "listed reporting units": "đơn vị báo cáo được liệt kê", "recipient": "nơi nhận",
    "Blank: each reporting unit's parent.": "Để trống: cấp trên của từng đơn vị báo cáo.",
    "data form": "biểu mẫu số liệu", "outline template (Vietnamese)": "đề cương (tiếng Việt)",
    "outline template (English)": "đề cương (tiếng Anh)", "approval required": "cần phê duyệt",
    "legal basis": "căn cứ pháp lý", "report regime": "chế độ báo cáo",
    "report regimes": "chế độ báo cáo", "year": "năm", "version": "phiên bản", "value": "giá trị",
    "reason": "lý do", "set by": "người đặt", "set at": "thời điểm đặt",
    "annual target": "kế hoạch năm", "annual targets": "kế hoạch năm",
    "Vietnamese": "Tiếng Việt", "English": "Tiếng Anh",
    "National Reporting System": "Hệ thống thông tin báo cáo quốc gia",
    "Org units": "Đơn vị", "Indicators": "Chỉ tiêu", "Report regimes": "Chế độ báo cáo",
    "Administration": "Quản trị", "Sign out": "Đăng xuất",
    "NRS — open-source national reporting system":
        "NRS — hệ thống thông tin báo cáo quốc gia mã nguồn mở",
    "Demo mode": "Chế độ demo", "Code": "Mã", "Name": "Tên", "Area": "Lĩnh vực",
    "Unit": "Đơn vị tính", "Frequency": "Kỳ báo cáo", "Level": "Cấp", "derived": "dẫn xuất",
    "No indicator matches.": "Không có chỉ tiêu phù hợp.", "until": "đến",
    "No unit matches.": "Không có đơn vị phù hợp.", "As of %(day)s.": "Tính đến %(day)s.",
    "provinces and centrally-run cities": "tỉnh, thành phố trực thuộc trung ương",
    "communes, wards and special zones": "xã, phường, đặc khu", "ministries": "bộ",
    "ministerial-level agencies": "cơ quan ngang bộ",
    "ministries and ministerial-level agencies": "bộ, cơ quan ngang bộ",
    "Before the 2025 reorganisation": "Trước khi sắp xếp đơn vị hành chính năm 2025",
    "On 30/06/2025: %(p)s provinces, %(d)s districts and %(c)s communes, linked to their "
    "successors by %(l)s lineage links.":
        "Ngày 30/06/2025: %(p)s tỉnh, %(d)s huyện và %(c)s xã, nối với đơn vị kế thừa bằng "
        "%(l)s quan hệ kế thừa.",
    "Show the units as they were": "Xem các đơn vị như trước đây", "Value type": "Kiểu giá trị",
    "Lowest reporting level": "Cấp báo cáo thấp nhất",
    "Aggregation over units": "Tổng hợp theo đơn vị",
    "Aggregation over time": "Tổng hợp theo thời gian", "Formula": "Công thức",
    "Breakdowns": "Phân tổ", "Responsible agency": "Cơ quan chịu trách nhiệm", "now": "nay",
    "Source": "Nguồn", "Indicator catalogue": "Danh mục chỉ tiêu",
    "Search by code or name": "Tìm theo mã hoặc tên", "All areas": "Tất cả lĩnh vực",
    "Type": "Loại", "Content": "Nội dung", "Cut-off rule": "Quy tắc chốt số liệu",
    "from day %(d)s of the month before": "từ ngày %(d)s của tháng trước",
    "Deadline rule": "Quy tắc thời hạn", "month": "tháng", "Reporting units": "Đơn vị báo cáo",
    "Recipient": "Nơi nhận", "Each reporting unit's parent": "Cấp trên của từng đơn vị báo cáo",
    "Approval required": "Cần phê duyệt", "Legal basis": "Căn cứ pháp lý",
    "Upcoming periods": "Các kỳ sắp tới", "Period": "Kỳ", "Cut-off window": "Thời gian chốt số liệu",
    "Deadline": "Thời hạn gửi", "On request": "Theo yêu cầu", "Data form": "Biểu mẫu số liệu",
    "Outline template": "Đề cương",
    "Next cut-off and deadline as of %(day)s; deadlines skip weekends and public holidays, Tết "
    "included.":
        "Kỳ chốt số liệu và thời hạn tiếp theo tính đến %(day)s; thời hạn không tính ngày nghỉ "
        "cuối tuần và ngày lễ, kể cả Tết.",
    "Regime": "Chế độ báo cáo", "Next period": "Kỳ tiếp theo", "Kind": "Loại",
    "Name (Vietnamese)": "Tên tiếng Việt", "Name (English)": "Tên tiếng Anh", "Valid": "Hiệu lực",
    "Centroid": "Tâm", "Area_km": "Diện tích", "Units below": "Đơn vị trực thuộc",
    "current": "hiện tại", "in all": "tổng cộng", "Predecessors": "Đơn vị trước",
    "None": "Không có", "Successors": "Đơn vị kế thừa", "As of": "Tại ngày", "Show": "Xem",
    "Before the reorganisation (30/06/2025)": "Trước sắp xếp (30/06/2025)",
    "After (01/07/2025)": "Sau sắp xếp (01/07/2025)",
    "Find a unit by name or code": "Tìm đơn vị theo tên hoặc mã", "Sign in": "Đăng nhập",
    "Wrong username or password. Both are case-sensitive.":
        "Sai tên đăng nhập hoặc mật khẩu. Cả hai đều phân biệt chữ hoa, chữ thường.",
    "Username": "Tên đăng nhập", "Password": "Mật khẩu", "NRS administration": "Quản trị NRS",
    "NRS": "NRS", "Registry metadata": "Danh mục dùng chung",
    "This page does not exist.": "Trang này không tồn tại.",
    "Back to the start page": "Về trang đầu",
    "You do not have permission for this page or this org unit.":
        "Bạn không có quyền truy cập trang này hoặc đơn vị này.",
    # briefing documents (issue 6)
    "Briefing document requested": "Yêu cầu lập văn bản báo cáo",
    "Briefing document generated": "Đã lập văn bản báo cáo",
    "Briefing document failed": "Lập văn bản báo cáo thất bại",
    "Briefing document archived": "Lưu trữ văn bản báo cáo",
    "Valid digital signature": "Chữ ký số hợp lệ",
    "Invalid digital signature": "Chữ ký số không hợp lệ",
    "Not signed": "Chưa ký số",
    "Signature not verifiable (DOCX)": "Không kiểm tra được chữ ký (DOCX)",
    "digital signature": "chữ ký số",
    "signed by": "người ký",
    "signed at": "thời điểm ký",
    "signature problem": "lỗi chữ ký",
    "document metadata": "thông tin văn bản",
    "Briefing documents": "Văn bản báo cáo",
    "Change against the same period last year (%)": "So với cùng kỳ năm trước (%)",
    "%(name)s: %(pct)s%% of the annual plan, behind the pace of the year (%(pace)s%%)":
        "%(name)s: đạt %(pct)s%% kế hoạch năm, chậm so với tiến độ (%(pace)s%%)",
    "%(name)s: %(change)s%% against the same period last year": "%(name)s: %(change)s%% so với cùng kỳ năm trước",
    "Socio-economic situation report": "Báo cáo tình hình kinh tế - xã hội",
    "Leaders' one-page brief": "Báo cáo tóm tắt cho lãnh đạo",
    "Queued": "Đang chờ", "Generating": "Đang lập", "Ready": "Đã xong", "Failed": "Thất bại",
    "language": "ngôn ngữ", "document number": "số văn bản", "issued on": "ngày ban hành",
    "sign digitally": "ký số", "status": "trạng thái", "progress (%)": "tiến độ (%)", "message": "thông báo",
    "PDF": "PDF", "DOCX": "DOCX", "PDF SHA-256": "SHA-256 của PDF", "requested at": "thời điểm yêu cầu",
    "finished at": "thời điểm hoàn thành", "archived": "đã lưu trữ", "briefing document": "văn bản báo cáo",
    "briefing documents": "văn bản báo cáo",
    "BRIEF": "BÁO CÁO TÓM TẮT", "REPORT": "BÁO CÁO",
    "Key socio-economic figures, %(period)s": "Một số chỉ tiêu kinh tế - xã hội chủ yếu %(period)s",
    "Socio-economic situation, %(period)s": "Tình hình kinh tế - xã hội %(period)s",
    "GOVERNMENT OFFICE": "VĂN PHÒNG CHÍNH PHỦ",
    "MINISTER, CHAIRMAN OF THE GOVERNMENT OFFICE": "BỘ TRƯỞNG, CHỦ NHIỆM",
    "No.": "Số:",
    "SOCIALIST REPUBLIC OF VIET NAM": "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Independence - Freedom - Happiness": "Độc lập - Tự do - Hạnh phúc",
    "Annex: reporting compliance": "Phụ lục: tình hình chấp hành chế độ báo cáo",
    "Every expected report arrived on time.": "Tất cả báo cáo đều được gửi đúng hạn.",
    "Report regime": "Chế độ báo cáo",
    "(Digitally signed)": "(Đã ký số)",
    "Document": "Văn bản", "Language": "Ngôn ngữ", "Sign digitally": "Ký số", "Briefings": "Văn bản",
    "E-document": "Văn bản điện tử",
    "Text report (PDF or DOCX, or an e-document package)": "Báo cáo văn bản (PDF, DOCX hoặc gói văn bản điện tử)",
    "signed": "đã ký số", "invalid signature": "chữ ký không hợp lệ", "not signed": "chưa ký số",
    "DOCX, signature not verifiable": "DOCX, không kiểm tra được chữ ký",
    "E-document package": "Gói văn bản điện tử", "Digital signature": "Chữ ký số",
    "Valid signature": "Chữ ký hợp lệ", "Invalid signature": "Chữ ký không hợp lệ", "Not signed.": "Chưa ký số.",
    "Generation failed": "Lập văn bản thất bại", "Headline figures": "Chỉ tiêu chủ yếu", "Alerts": "Cảnh báo",
    "No indicator is off plan or unusual.": "Không có chỉ tiêu nào chậm kế hoạch hoặc biến động bất thường.",
    "Late and missing reports": "Báo cáo chậm và chưa gửi", "Archive": "Lưu trữ",
    "The monthly, quarterly or annual socio-economic situation report (DOCX and PDF) and the leaders' one-page "
    "brief, generated from the approved figures, digitally signed, ready for the e-Cabinet and the e-document "
    "exchange platform.":
        "Báo cáo tình hình kinh tế - xã hội tháng, quý, năm (DOCX và PDF) và báo cáo tóm tắt một trang cho lãnh "
        "đạo, lập từ số liệu đã duyệt, có chữ ký số, sẵn sàng cho Hệ thống e-Cabinet và Trục liên thông văn bản "
        "quốc gia.",
    "Expected": "Phải báo cáo",
    "Generate": "Lập văn bản", "Current documents": "Văn bản hiện hành", "Requested by": "Người yêu cầu",
    "Requested at": "Thời điểm yêu cầu", "No documents yet.": "Chưa có văn bản nào.",
    "Figures: approved reports in the National Reporting System, aggregated by the catalogue's rules; figures of "
    "provinces merged in 2025 before July 2025 are rebuilt from their predecessors.":
        "Số liệu: các báo cáo đã duyệt trên Hệ thống thông tin báo cáo quốc gia, tổng hợp theo quy tắc của danh "
        "mục chỉ tiêu; số liệu trước tháng 7/2025 của các tỉnh hợp nhất năm 2025 được tính lại từ các tỉnh tiền thân.",
    # dashboards (issue 4)
    "Analytics": "Phân tích số liệu",
    "Boundaries are approximate (Natural Earth, merged along the 2025 reorganisation).":
        "Ranh giới chỉ gần đúng (Natural Earth, hợp nhất theo sắp xếp đơn vị hành chính năm 2025).",
    "Approved values": "Số liệu đã duyệt",
    "Approved and submitted values (preview)": "Số liệu đã duyệt và đã gửi (xem trước)",
    "basis": "cơ sở số liệu",
    "period kind": "loại kỳ",
    "reported values": "số giá trị báo cáo",
    "rebuilt through the lineage": "tính lại từ đơn vị tiền thân",
    "refreshed at": "cập nhật lúc",
    "aggregate": "số liệu tổng hợp",
    "aggregates": "số liệu tổng hợp",
    "cells written": "số ô đã ghi",
    "periods": "các kỳ",
    "aggregate refresh": "lần cập nhật số liệu tổng hợp",
    "aggregate refreshes": "các lần cập nhật số liệu tổng hợp",
    "recipients": "người nhận",
    "sent at": "gửi lúc",
    "notice": "thông báo",
    "notices": "thông báo",
    "Live: updates when a report is approved": "Trực tiếp: tự cập nhật khi báo cáo được duyệt",
    "Figures as of %(at)s": "Số liệu tính đến %(at)s",
    "No figures yet": "Chưa có số liệu",
    "latest period %(period)s": "kỳ mới nhất %(period)s",
    "Preview: approved and submitted figures": "Xem trước: số liệu đã duyệt và đã gửi",
    "Preview submitted figures": "Xem trước số liệu đã gửi",
    "Dashboard": "Bảng điều hành",
    "Period view": "Chế độ xem theo kỳ",
    "Year to date": "Lũy kế từ đầu năm",
    "over units": "tổng hợp theo đơn vị",
    "over time": "tổng hợp theo thời gian",
    "Over time": "Diễn biến theo thời gian",
    "Hollow points: figures from before July 2025 rebuilt from the predecessor provinces through the official merger.":
        "Điểm rỗng: số liệu trước tháng 7/2025 được tính lại từ các tỉnh tiền thân theo phương án hợp nhất chính thức.",
    "No approved figures yet": "Chưa có số liệu được duyệt",
    "Download": "Tải về",
    "Provinces": "Các tỉnh, thành phố",
    "Communes": "Các xã, phường",
    "vs last year": "so cùng kỳ",
    "Share": "Tỷ trọng",
    "Province profile": "Hồ sơ tỉnh",
    "Rebuilt from predecessors": "Tính lại từ đơn vị tiền thân",
    "No commune figures for this period: this indicator is reported by the province.":
        "Không có số liệu cấp xã trong kỳ này: chỉ tiêu do tỉnh báo cáo.",
    "No figures for this period.": "Không có số liệu trong kỳ này.",
    "Socio-economic overview": "Tổng quan kinh tế - xã hội",
    "Big screen": "Màn hình lớn",
    "Preview: figures include submitted reports that are not yet approved.":
        "Xem trước: số liệu gồm cả báo cáo đã gửi nhưng chưa được duyệt.",
    "vs same period last year": "so với cùng kỳ năm trước",
    "pp": "điểm %",
    "of annual plan": "kế hoạch năm",
    "Similar provinces (by area)": "Các tỉnh tương đồng (theo diện tích)",
    "Nation": "Cả nước",
    "Share of nation": "Tỷ trọng trong cả nước",
    "Similar provinces (median)": "Các tỉnh tương đồng (trung vị)",
    "Today's units (history rebuilt)": "Đơn vị hiện nay (số liệu cũ tính lại)",
    "Units as they were then": "Đơn vị như tại thời điểm đó",
    "no figure": "chưa có số liệu",
    "Figures as known on %(day)s (recomputed from the vintages approved by then)":
        "Số liệu như đã biết vào ngày %(day)s (tính lại từ các phiên bản đã duyệt đến ngày đó)",
    "Current figures": "Số liệu hiện tại",
    "reports": "báo cáo",
}
VI.update({
    "Read": "Chỉ đọc", "Read and write": "Đọc và ghi", "name": "tên",
    "The token works only inside this unit's subtree.": "Token chỉ dùng trong phạm vi đơn vị này.",
    "scope": "phạm vi", "prefix": "tiền tố", "secret hash": "mã băm bí mật",
    "created at": "thời điểm tạo", "expires at": "hết hạn", "API token": "Token API",
    "API tokens": "Token API", "API token issued": "Cấp token API",
    "API token revoked": "Thu hồi token API", "Values saved": "Lưu số liệu",
    "Submission state changed": "Đổi trạng thái báo cáo", "Data collection": "Thu thập số liệu",
    "Draft": "Nháp", "Submitted": "Đã gửi", "Approved": "Đã duyệt", "Returned": "Bị trả lại",
    "regime": "chế độ báo cáo", "period": "kỳ", "period start": "đầu kỳ", "state": "trạng thái",
    "current version": "phiên bản hiện tại", "historical backfill": "bổ sung số liệu lịch sử",
    "first submitted at": "lần gửi đầu", "submission": "báo cáo", "submissions": "báo cáo",
    "opened at": "thời điểm mở", "approved at": "thời điểm duyệt",
    "submission version": "phiên bản báo cáo", "submission versions": "phiên bản báo cáo",
    "from": "từ", "to": "đến", "at": "lúc", "comment": "ghi chú", "transition": "chuyển trạng thái",
    "transitions": "chuyển trạng thái", "Estimate": "Ước tính", "Provisional": "Sơ bộ",
    "Revised": "Điều chỉnh", "Confidential": "Mật", "breakdown": "phân tổ",
    "Blank: the value was cleared.": "Để trống: giá trị đã bị xóa.", "flag": "cờ",
    "written at": "thời điểm ghi", "data value": "số liệu", "data values": "số liệu",
    "Range": "Khoảng giá trị", "Comparison with another indicator": "So sánh với chỉ tiêu khác",
    "Sum of indicators": "Tổng các chỉ tiêu", "Error": "Lỗi", "Warning": "Cảnh báo",
    "severity": "mức độ", "operator": "phép so sánh", "other indicator": "chỉ tiêu so sánh",
    "terms": "các thành phần", "For sums: indicator codes separated by ';'.":
        "Với phép tổng: mã chỉ tiêu cách nhau bởi dấu ';'.",
    "minimum": "tối thiểu", "maximum": "tối đa", "equals": "bằng", "tolerance": "sai số",
    "message (Vietnamese)": "thông báo (tiếng Việt)", "message (English)": "thông báo (tiếng Anh)",
    "validation rule": "quy tắc kiểm tra", "validation rules": "quy tắc kiểm tra",
    "My reports": "Báo cáo của tôi", "State": "Trạng thái", "Not started": "Chưa bắt đầu",
    "Saved: %(n)s values.": "Đã lưu %(n)s giá trị.", "Done.": "Đã xong.",
    "Indicator": "Chỉ tiêu", "Value": "Giá trị", "Flag": "Cờ", "Comment": "Ghi chú",
    "Numbers use a dot for decimals (1234.5). Rows left blank are not sent.":
        "Số thập phân dùng dấu chấm (1234.5). Dòng để trống không được gửi.",
    "Save draft": "Lưu nháp", "Submit for approval": "Gửi duyệt",
    "Comment (required to return)": "Ghi chú (bắt buộc khi trả lại)", "Approve": "Duyệt",
    "Return": "Trả lại", "Reason for the revision": "Lý do điều chỉnh",
    "Open a revision": "Mở phiên bản điều chỉnh", "History": "Lịch sử",
    "Reporting unit": "Đơn vị báo cáo", "Open the form": "Mở biểu mẫu",
    "You have no report to fill in.": "Bạn không có báo cáo nào cần nhập.",
    "Text report": "Báo cáo văn bản", "No document attached yet.": "Chưa đính kèm văn bản.",
    "Text report (PDF or DOCX)": "Báo cáo văn bản (PDF hoặc DOCX)", "Attach": "Đính kèm",
    "file": "tệp", "file name": "tên tệp", "size": "dung lượng", "SHA-256": "SHA-256",
    "uploaded at": "thời điểm tải lên", "report document": "văn bản báo cáo",
    "report documents": "văn bản báo cáo",
    "Download the Excel template": "Tải mẫu Excel", "or upload it filled in:": "hoặc tải lên bản đã điền:",
    "Filled-in Excel template": "Mẫu Excel đã điền", "Upload": "Tải lên",
    "On time": "Đúng hạn", "Late": "Muộn", "Missing": "Chưa gửi", "Not due yet": "Chưa đến hạn",
    "Compliance": "Tình hình báo cáo", "Reporting compliance": "Tình hình chấp hành chế độ báo cáo",
    "All": "Tất cả", "Export CSV": "Xuất CSV", "Status": "Tình trạng",
    "Nothing to show.": "Không có dữ liệu.",
    "%(n)s of the %(t)s indicators received (approved) for period %(p)s.":
        "Đã nhận (đã duyệt) %(n)s trên %(t)s chỉ tiêu cho kỳ %(p)s.",
})

# Issue 7, part H2: sign-in hardening (lockout, rate limits, two-factor, passwords, tokens).
VI.update({
    "last used at": "lần dùng gần nhất", "Sign-in locked out": "Khoá đăng nhập",
    "Password changed": "Đổi mật khẩu",
    "Two-factor authentication enrolled": "Bật xác thực hai lớp",
    "Two-factor code rejected": "Mã xác thực hai lớp bị từ chối",
    "Two-factor authentication reset": "Đặt lại xác thực hai lớp",
    "Request rate limited": "Yêu cầu bị giới hạn tần suất",
    "Backup codes": "Mã dự phòng",
    "Two-factor sign-in is on. Keep these backup codes somewhere safe: each works once, when you "
    "do not have your phone. They are shown only now.":
        "Đã bật đăng nhập hai lớp. Hãy cất giữ các mã dự phòng này ở nơi an toàn: mỗi mã dùng được "
        "một lần, khi bạn không có điện thoại. Mã chỉ hiện lần này.",
    "Continue": "Tiếp tục", "Sign-in locked": "Đăng nhập bị khoá",
    "Too many wrong passwords (%(limit)s) for this account from this address.":
        "Nhập sai mật khẩu quá nhiều lần (%(limit)s) cho tài khoản này từ địa chỉ này.",
    "Try again in %(minutes)s minutes, or ask an administrator to lift the lock.":
        "Hãy thử lại sau %(minutes)s phút, hoặc đề nghị quản trị viên mở khoá.",
    "Back to sign-in": "Về trang đăng nhập", "Change password": "Đổi mật khẩu",
    "A password needs at least 10 characters, not only digits, not a common password and not "
    "close to your username, name or e-mail.":
        "Mật khẩu cần ít nhất 10 ký tự, không chỉ gồm chữ số, không phải mật khẩu phổ biến và "
        "không giống tên đăng nhập, họ tên hay thư điện tử của bạn.",
    "Current password": "Mật khẩu hiện tại", "New password": "Mật khẩu mới",
    "New password again": "Nhập lại mật khẩu mới",
    "Your new password is in use. You are still signed in.":
        "Mật khẩu mới đã có hiệu lực. Bạn vẫn đang đăng nhập.",
    "Too many requests": "Quá nhiều yêu cầu",
    "Too many sign-in attempts from this address. Try again in %(seconds)s seconds.":
        "Quá nhiều lần đăng nhập từ địa chỉ này. Hãy thử lại sau %(seconds)s giây.",
    "Set up two-factor sign-in": "Thiết lập đăng nhập hai lớp",
    "Your role needs a second factor. Scan this code with an authenticator app (for example "
    "FreeOTP or Google Authenticator), then type the 6-digit code it shows.":
        "Vai trò của bạn cần lớp xác thực thứ hai. Hãy quét mã này bằng ứng dụng xác thực (ví dụ "
        "FreeOTP hoặc Google Authenticator), rồi nhập mã 6 chữ số ứng dụng hiển thị.",
    "QR code for the authenticator app": "Mã QR cho ứng dụng xác thực",
    "Or enter this key by hand:": "Hoặc nhập khoá này bằng tay:",
    "That code is not right. Check the time on your phone and try the newest code.":
        "Mã chưa đúng. Hãy kiểm tra giờ trên điện thoại và thử mã mới nhất.",
    "Code from the app": "Mã từ ứng dụng", "Confirm": "Xác nhận",
    "Two-factor sign-in": "Đăng nhập hai lớp",
    "Two-factor sign-in is on for your account, and this session is verified.":
        "Tài khoản của bạn đã bật đăng nhập hai lớp, và phiên này đã được xác thực.",
    "Lost your phone? Use a backup code, and ask an administrator to reset your second factor.":
        "Mất điện thoại? Hãy dùng một mã dự phòng và đề nghị quản trị viên đặt lại lớp xác thực thứ hai.",
    "Type the 6-digit code from your authenticator app, or one of your backup codes.":
        "Nhập mã 6 chữ số từ ứng dụng xác thực, hoặc một trong các mã dự phòng.",
    "That code is not right, or was already used. Wait a moment and try again.":
        "Mã chưa đúng hoặc đã được dùng. Hãy chờ một lát rồi thử lại.",
    "Verify": "Xác thực", "Two-factor": "Xác thực hai lớp",
    "Sign in with %(name)s": "Đăng nhập bằng %(name)s", "or": "hoặc",
})

# H1: the audit hash chain and the auditor's viewer (and the issue-7 event types).
VI.update({
    "Audit chain verified": "Kiểm tra chuỗi nhật ký", "Audit chain anchored": "Neo chuỗi nhật ký",
    "Backup created": "Tạo bản sao lưu", "Backup restored": "Khôi phục bản sao lưu",
    "sequence number": "số thứ tự", "previous hash": "hash trước", "hash": "hash",
    "Audit log": "Nhật ký kiểm toán", "Audit event": "Sự kiện nhật ký", "object": "đối tượng",
    "Seq %(first)s–%(last)s intact: %(n)s events recomputed.":
        "Seq %(first)s–%(last)s toàn vẹn: đã tính lại %(n)s sự kiện.",
    "Chain broken at seq %(seq)s": "Chuỗi bị phá vỡ tại seq %(seq)s",
    "Content matches its hash": "Nội dung khớp với hash", "yes": "có",
    "no: this event was altered": "không: sự kiện này đã bị sửa",
    "Every change and sign-in, in a hash chain: each event's hash covers its content and the "
    "previous event's hash, so an edited, deleted or reordered row breaks the chain.":
        "Mọi thay đổi và lần đăng nhập, trong một chuỗi hash: hash của mỗi sự kiện bao gồm nội dung "
        "của nó và hash của sự kiện trước, nên một dòng bị sửa, xóa hay đổi thứ tự sẽ làm đứt chuỗi.",
    "Chain status": "Tình trạng chuỗi", "Last full verification": "Lần kiểm tra toàn bộ gần nhất",
    "events": "sự kiện",
    "No full verification recorded yet (run: nrs audit verify).":
        "Chưa có lần kiểm tra toàn bộ nào (chạy: nrs audit verify).",
    "Last anchor": "Mốc neo gần nhất", "Verify seq %(first)s–%(last)s now": "Kiểm tra seq %(first)s–%(last)s ngay",
    "Filter": "Lọc", "Newer": "Mới hơn", "Older": "Cũ hơn", "Page %(n)s of %(t)s": "Trang %(n)s/%(t)s",
    "Event": "Sự kiện", "Actor (username)": "Người thực hiện (tên đăng nhập)",
    "Object type": "Loại đối tượng", "Object id": "Mã đối tượng", "Org unit code": "Mã đơn vị",
    "From": "Từ ngày", "To": "Đến ngày",
})

PLURALS = {
    "%(n)s indicator": "%(n)s chỉ tiêu",
    "%(n)s decimal": "%(n)s chữ số thập phân",
    "%(n)s report": "%(n)s báo cáo",
    "and %(n)s more alert": "và %(n)s cảnh báo khác",
    "%(n)s report waits for your approval": "%(n)s báo cáo chờ bạn duyệt",
}


# Issue 5: connected systems (DHIS2/ADX mappings, federation, connectors and webhooks).
VI.update({
    "DHIS2 and ADX imports": "Nhập dữ liệu DHIS2 và ADX",
    "Given as ?system=CODE on import.": "Truyền dưới dạng ?system=MÃ khi nhập.",
    "default category option combo": "tổ hợp phân tổ mặc định",
    "The other side's id for 'no disaggregation' (DHIS2: HllvX50cXC0).":
        "Mã của hệ thống đối tác cho 'không phân tổ' (DHIS2: HllvX50cXC0).",
    "default regime": "chế độ báo cáo mặc định",
    "For messages that name no data set (DHIS2 CSV).": "Cho thông điệp không ghi bộ dữ liệu (CSV của DHIS2).",
    "unmapped ids are NRS codes": "mã chưa ánh xạ được hiểu là mã NRS",
    "Ids missing from the tables are taken as NRS codes instead of refused.":
        "Mã không có trong bảng ánh xạ được hiểu là mã NRS thay vì bị từ chối.",
    "active": "đang hoạt động",
    "partner system": "hệ thống đối tác",
    "partner systems": "hệ thống đối tác",
    "their data set id": "mã bộ dữ liệu của hệ thống đối tác",
    "data set mapping": "ánh xạ bộ dữ liệu",
    "data set mappings": "ánh xạ bộ dữ liệu",
    "their data element id": "mã phần tử dữ liệu của hệ thống đối tác",
    "their category option combo": "tổ hợp phân tổ của hệ thống đối tác",
    "Our breakdown, e.g. SEX=F; empty for the total.": "Phân tổ của NRS, ví dụ SEX=F; để trống cho tổng số.",
    "data element mapping": "ánh xạ phần tử dữ liệu",
    "data element mappings": "ánh xạ phần tử dữ liệu",
    "'%(part)s' is not a breakdown of this indicator (NAME=CODE; NAME=CODE)":
        "'%(part)s' không phải là phân tổ của chỉ tiêu này (TÊN=MÃ; TÊN=MÃ)",
    "their org unit id": "mã đơn vị của hệ thống đối tác",
    "org unit mapping": "ánh xạ đơn vị",
    "org unit mappings": "ánh xạ đơn vị",
    # Federation.
    "Federation": "Liên thông",
    "Ed25519 public key": "Khóa công khai Ed25519",
    "Base64 of the 32 raw bytes, as printed by `nrs federation keygen`.":
        "Chuỗi base64 của 32 byte khóa, như lệnh `nrs federation keygen` in ra.",
    "org units owned": "đơn vị thuộc nút",
    "The roots of the subtrees this node reports for.": "Các đơn vị gốc của những nhánh đơn vị mà nút này báo cáo.",
    "node account": "tài khoản của nút",
    "The account whose API token the node pushes with.": "Tài khoản có token API mà nút dùng để gửi dữ liệu.",
    "federated node": "nút liên thông",
    "federated nodes": "các nút liên thông",
    "node": "nút",
    "batch id": "mã lô",
    "sequence": "số thứ tự",
    "signature": "chữ ký",
    "received at": "nhận lúc",
    "imported": "đã nhập",
    "already received": "đã nhận trước đó",
    "values written": "số giá trị đã ghi",
    "received batch": "lô đã nhận",
    "received batches": "các lô đã nhận",
    "batch": "lô",
    "source submission": "báo cáo nguồn",
    "source version": "phiên bản nguồn",
    "approved at the source": "phê duyệt tại nút nguồn lúc",
    "version here": "phiên bản tại đây",
    "federated version": "phiên bản liên thông",
    "federated versions": "các phiên bản liên thông",
    "upstream URL": "địa chỉ nút cấp trên",
    "node code": "mã nút",
    "acknowledged up to": "đã được xác nhận đến",
    "batches acknowledged": "số lô đã được xác nhận",
    "updated at": "cập nhật lúc",
    "upstream": "nút cấp trên",
    # Audit event types of issue 5.
    "Exchange code mapping changed": "Thay đổi ánh xạ mã trao đổi dữ liệu",
    "Federated node changed": "Thay đổi nút liên thông",
    "Federation batch sent": "Đã gửi lô liên thông",
    "Federation batch received": "Đã nhận lô liên thông",
    "Federation batch rejected": "Từ chối lô liên thông",
    "Connector changed": "Thay đổi kết nối",
    "Connector run": "Lượt chạy kết nối",
    "Webhook subscription changed": "Thay đổi đăng ký webhook",
    "Webhook delivery failed": "Gửi webhook thất bại",
    "Org unit": "Đơn vị",
    # Connectors and webhooks.
    'Connectors and webhooks': 'Kết nối và webhook',
    'No credentials': 'Không có thông tin xác thực',
    'HTTP Basic (user name and password)': 'HTTP Basic (tên đăng nhập và mật khẩu)',
    'Bearer token': 'Mã thông báo Bearer',
    'Running': 'Đang chạy',
    'Stored': 'Đã lưu',
    'Nothing new': 'Không có gì mới',
    'Failed, will retry': 'Lỗi, sẽ thử lại',
    'Failed': 'Lỗi',
    'Submission approved': 'Báo cáo được phê duyệt',
    'Submission revised': 'Báo cáo được mở phiên bản sửa đổi',
    'Pending': 'Đang chờ',
    'Delivered': 'Đã gửi',
    'Gave up': 'Đã ngừng gửi',
    'HTTP JSON (a list of objects)': 'HTTP JSON (danh sách đối tượng)',
    'HTTP CSV (one value a line)': 'HTTP CSV (mỗi dòng một giá trị)',
    'SDMX (SDMX-ML 2.1 or SDMX-CSV 2.0 data)': 'SDMX (dữ liệu SDMX-ML 2.1 hoặc SDMX-CSV 2.0)',
    'DHIS2 (dataValueSets, JSON or CSV)': 'DHIS2 (dataValueSets, JSON hoặc CSV)',
    'Used on the command line: nrs connectors run NAME.': 'Dùng trên dòng lệnh: nrs connectors run TÊN.',
    'kind': 'loại',
    'URL': 'Địa chỉ URL',
    'every (minutes)': 'chu kỳ (phút)',
    'reporting org unit': 'đơn vị báo cáo',
    'acts as (system user)': 'thực hiện với tư cách (người dùng hệ thống)',
    'field mapping': 'ánh xạ trường',
    'credentials': 'thông tin xác thực',
    'user name (Basic)': 'tên đăng nhập (Basic)',
    'next run at': 'lần chạy tiếp theo',
    'next attempt': 'lần thử tiếp theo',
    'pull connector': 'kết nối kéo dữ liệu',
    'pull connectors': 'kết nối kéo dữ liệu',
    'connector': 'kết nối',
    'started at': 'bắt đầu lúc',
    'finished at': 'kết thúc lúc',
    'attempt': 'lần thử',
    'trigger': 'nguồn kích hoạt',
    'content SHA-256': 'SHA-256 của nội dung',
    'bytes read': 'số byte đã đọc',
    'values read': 'số giá trị đã đọc',
    'values stored': 'số giá trị đã lưu',
    'where': 'vị trí',
    'message (Vietnamese)': 'thông báo (tiếng Việt)',
    'message (English)': 'thông báo (tiếng Anh)',
    'connector run': 'lượt chạy kết nối',
    'connector runs': 'các lượt chạy kết nối',
    'org unit (with its subtree)': 'đơn vị (kèm các đơn vị trực thuộc)',
    'on approval': 'khi phê duyệt',
    'on revision': 'khi sửa đổi',
    'owner': 'người sở hữu',
    'webhook subscription': 'đăng ký webhook',
    'webhook subscriptions': 'đăng ký webhook',
    'subscription': 'đăng ký',
    'delivery id': 'mã lần gửi',
    'payload': 'nội dung gửi',
    'attempts': 'số lần thử',
    'last HTTP status': 'mã HTTP gần nhất',
    'last error': 'lỗi gần nhất',
    'next try at': 'lần thử tiếp theo lúc',
    'delivered at': 'đã gửi lúc',
    'webhook delivery': 'lần gửi webhook',
    'webhook deliveries': 'các lần gửi webhook',
    'sent at': 'gửi lúc',
    'HTTP status': 'mã HTTP',
    'error': 'lỗi',
    'delivery attempt': 'lần thử gửi',
    'delivery attempts': 'các lần thử gửi',
    'Password, token or secret': 'Mật khẩu, mã thông báo hoặc khóa bí mật',
    'Stored encrypted and never shown again. Leave blank to keep the stored one.':
        'Được lưu mã hóa và không bao giờ hiển thị lại. Để trống để giữ giá trị đã lưu.',
    'Remove the stored credentials': 'Xóa thông tin xác thực đã lưu',
    'credentials stored': 'đã lưu thông tin xác thực',
    'run log': 'nhật ký chạy',
    'runs': 'các lượt chạy',
    'A new subscription needs a signing secret.': 'Đăng ký mới cần có khóa bí mật để ký.',
    'Pull connectors': 'Kết nối kéo dữ liệu',
    'Systems NRS fetches values from on a schedule, into a report of one unit. Each run stores '
    'the values through the same checks as every submission; a failed fetch is retried after 1, '
    '2, 4 minutes.':
        'Các hệ thống mà NRS định kỳ lấy số liệu về báo cáo của một đơn vị. Mỗi lượt chạy lưu số '
        'liệu qua cùng các bước kiểm tra như mọi báo cáo; lần lấy dữ liệu bị lỗi được thử lại sau '
        '1, 2, 4 phút.',
    'Every (minutes)': 'Chu kỳ (phút)',
    'Next run': 'Lần chạy tiếp theo',
    'Last run': 'Lần chạy gần nhất',
    'inactive': 'ngừng hoạt động',
    'No connectors in your units.': 'Không có kết nối nào trong các đơn vị của bạn.',
    'Run log': 'Nhật ký chạy',
    'attempt %(n)s': 'lần thử %(n)s',
    'Started': 'Bắt đầu',
    'Attempt': 'Lần thử',
    'Values read': 'Giá trị đã đọc',
    'Values stored': 'Giá trị đã lưu',
    'Where': 'Vị trí',
    'Message': 'Thông báo',
    'No runs yet.': 'Chưa có lượt chạy nào.',
    'Newer': 'Mới hơn',
    'Older': 'Cũ hơn',
})


# -- issue 5 review (helper A): exchange bookkeeping, connectors, nav --
VI.update({
    'Connectors': 'Kết nối',
})

# -- issue 5 SDMX (helper B): ended units, updatedAfter, detail --
VI.update({
})

# -- issue 8 benchmarks --
VI.update({
    "queued at": "thời điểm xếp hàng",
    "touched": "phạm vi đã nhập",
    "awaiting approval": "đang chờ phê duyệt",
    "values": "giá trị",
    "attempts": "số lần thử",
    "last error": "lỗi gần nhất",
    "applied at": "thời điểm áp dụng",
    "queued aggregate refresh": "lượt tổng hợp đang chờ",
    "queued aggregate refreshes": "các lượt tổng hợp đang chờ",
    "Federation upstream changed": "Thay đổi nút cấp trên (liên thông)",
    # Issue 17: frequencies, sources, kinds, coverage, release dates.
    "Historical backfill (release dates)": "Bổ sung số liệu lịch sử (ngày công bố)",
    "Historical backfill": "Bổ sung số liệu lịch sử", "derived (not reported)": "tính toán (không báo cáo trực tiếp)",
    "Rate or share": "Tỷ lệ, cơ cấu", "Index": "Chỉ số", "Growth rate": "Tốc độ tăng",
    "published frequencies": "các kỳ công bố",
    "Every frequency the indicator is published at, separated by ';' (M;Q;S;N;Y;YTD). Blank: its own frequency only.":
        "Các kỳ chỉ tiêu được công bố, cách nhau bởi ';' (M;Q;S;N;Y;YTD). Để trống: chỉ kỳ riêng của chỉ tiêu.",
    "index base": "kỳ gốc của chỉ số",
    "For indices: the base, e.g. '2019 = 100'.": "Với chỉ số: kỳ gốc, ví dụ '2019 = 100'.",
    "Authoritative national source": "Nguồn số liệu chính thức cấp quốc gia",
    "optional indicators": "chỉ tiêu không bắt buộc",
    "Indicators of the form that a report may leave empty (a staggered release sends some now "
    "and the rest in a later version).":
        "Chỉ tiêu của biểu mẫu được phép để trống (công bố từng đợt: gửi một phần trước, "
        "phần còn lại ở phiên bản sau).",
    "text report required": "bắt buộc báo cáo văn bản",
    "For text-and-data regimes: whether submitting needs the text report.":
        "Với chế độ báo cáo văn bản và số liệu: có bắt buộc đính kèm báo cáo văn bản khi gửi hay không.",
    "Plausible against the last period (unit-scale slips)": "Hợp lý so với kỳ trước (nhầm đơn vị tính)",
    "Reported by the national source": "Do cơ quan nguồn cấp quốc gia báo cáo",
    "reported nationally": "số liệu cấp quốc gia",
    "units reported of those expected": "số đơn vị đã báo cáo trên số đơn vị phải báo cáo",
    "Partial: not every expected unit has reported": "Chưa đủ: chưa phải tất cả đơn vị đã báo cáo",
    "partial": "chưa đủ", "Source: the provinces' reports": "Nguồn: tổng hợp báo cáo của các tỉnh, thành phố",
    "Releases and revisions": "Các lần công bố và điều chỉnh", "Version": "Phiên bản", "Released": "Ngày công bố",
    "Reason": "Lý do", "Approved by": "Người duyệt",
    "A national indicator: it has no figures by province.": "Chỉ tiêu cấp quốc gia: không có số liệu theo tỉnh.",
    "partial: %(coverage)s provinces reported": "chưa đủ: %(coverage)s tỉnh, thành phố đã báo cáo",
    "estimate": "ước tính", "provisional": "sơ bộ",
})


# -- issue 18: security and reliability, round two --
VI.update({
    # derived
    ("Figures computed from units outside your scope (the national figure, the share of it, the "
     "similar provinces' median) are shown only to users who may read those units."):
        ("Số liệu tính từ các đơn vị ngoài phạm vi của bạn (số liệu cả nước, tỷ trọng trong cả nước, trung "
         "vị các tỉnh tương đồng) chỉ hiển thị cho người dùng được xem các đơn vị đó."),
    # duties
    "Empty: the grant does not expire.": "Để trống: quyền không hết hạn.",
    "You may not change this grant.": "Bạn không được thay đổi quyền này.",
    "Nobody grants roles to themselves.": "Không ai được tự cấp vai trò cho chính mình.",
    "You may not grant this role on this org unit.": "Bạn không được cấp vai trò này trên đơn vị này.",
    "Revoke selected grants": "Thu hồi các quyền đã chọn",
    "%(count)d grant(s) revoked.": "Đã thu hồi %(count)d quyền.",
    ("%(count)d grant(s) outside your units were left as they are."):
        ("%(count)d quyền ngoài các đơn vị của bạn được giữ nguyên."),
    # registry
    ("A unit cannot be placed under itself or one of its own subunits."):
        ("Không thể đặt một đơn vị vào dưới chính nó hoặc một đơn vị trực thuộc của nó."),
    "Letters, digits, '.', '_' and '-' only.": "Chỉ gồm chữ cái, chữ số, '.', '_' và '-'.",
    "Approver must differ from who entered or submitted": "Người phê duyệt phải khác người nhập hoặc gửi báo cáo",
    # reliability
    "Valid signature by another organisation": "Chữ ký hợp lệ của cơ quan khác",
    "signed by another organisation": "do cơ quan khác ký",
    # signin
    ("This is a machine account: it reaches NRS only with an API token and cannot sign in to the web "
     "pages."):
        ("Đây là tài khoản máy: chỉ truy cập NRS bằng token API, không thể đăng nhập vào các trang web."),
    ("The username %(username)s is already taken, and an identity provider never signs in to an "
     "existing account by its name. Ask an administrator to link your account."):
        ("Tên đăng nhập %(username)s đã có người dùng, và nhà cung cấp định danh không bao giờ được đăng "
         "nhập vào một tài khoản có sẵn chỉ theo tên. Hãy đề nghị quản trị viên liên kết tài khoản của "
         "bạn."),
    ("This account is already linked to another person at this identity provider."):
        ("Tài khoản này đã được liên kết với một người khác tại nhà cung cấp định danh này."),
    ("The identity provider has not verified this e-mail address."):
        ("Nhà cung cấp định danh chưa xác minh địa chỉ e-mail này."),
    "This sign-in is refused.": "Lần đăng nhập này bị từ chối.",
    "Sign-in refused": "Đăng nhập bị từ chối",
    ("Too many wrong passwords (%(limit)s) for this account, from several addresses."):
        ("Tài khoản này đã bị nhập sai mật khẩu quá nhiều lần (%(limit)s), từ nhiều địa chỉ."),
    "external identity": "định danh bên ngoài",
    "external identities": "định danh bên ngoài",
    "issuer": "bên cấp",
    "subject": "chủ thể",
    # not listed by a helper: audit event types of issue 18
    "Org unit moved or recoded": "Chuyển hoặc đổi mã đơn vị",
    "Role grant changed": "Sửa phân quyền",
    "Outbound fetch refused by the destination policy": "Truy xuất ra bên ngoài bị chính sách địa chỉ đích từ chối",
})

# Issue 20, item 9: the briefings per Decree 30/2020/NĐ-CP (nrs/reports/render.py, _closing.html)
VI.update({
    "The Prime Minister (for reporting)": "Thủ tướng Chính phủ (để b/c)",
    "The Deputy Prime Ministers": "Các Phó Thủ tướng Chính phủ",
    "Ministries, ministerial-level agencies, government agencies": "Các Bộ, cơ quan ngang Bộ, cơ quan thuộc Chính phủ",
    "People's Committees of provinces and centrally-run cities": "UBND các tỉnh, thành phố trực thuộc trung ương",
    "Government Office: the Minister-Chairman, the Vice Chairmen": "VPCP: BTCN, các PCN",
    "Archive: Clerical Office, General Affairs Department": "Lưu: VT, TH",
    "FOR THE MINISTER, CHAIRMAN": "KT. BỘ TRƯỞNG, CHỦ NHIỆM",
    "VICE CHAIRMAN": "PHÓ CHỦ NHIỆM",
    "Recipients:": "Nơi nhận:",
    ("The national figures above are partial: %(coverage)s provinces reported; they are not compared "
     "with the same period last year."):
        ("Số liệu toàn quốc nêu trên chưa đầy đủ: %(coverage)s tỉnh, thành phố đã báo cáo; chưa so sánh "
         "với cùng kỳ năm trước."),
    ("Partial national figures (%(names)s): %(coverage)s provinces reported; they are not compared "
     "with the same period last year."):
        ("Số liệu toàn quốc chưa đầy đủ (%(names)s): %(coverage)s tỉnh, thành phố đã báo cáo; chưa so sánh "
         "với cùng kỳ năm trước."),
    ("The Government Office reports the key socio-economic figures of %(period)s, from the reports "
     "approved in the National Reporting System, as follows:"):
        ("Văn phòng Chính phủ báo cáo các chỉ tiêu kinh tế - xã hội chủ yếu %(period)s, tổng hợp từ các "
         "báo cáo đã được phê duyệt trên Hệ thống báo cáo quốc gia, như sau:"),
})

# Issue 20, item 1: work first (the approval inbox, my reports, the skip link)
VI.update({
    "Skip to main content": "Bỏ qua đến nội dung chính",
    "Waiting for approval": "Chờ duyệt",
    "overdue": "quá hạn",
    "Returned:": "Bị trả lại:",
    "no reason given": "không ghi lý do",
    "View": "Xem",
    "No report waits for your approval.": "Không có báo cáo nào chờ bạn duyệt.",
    ("Reports sent for approval in the units you approve for, the most urgent first."):
        ("Các báo cáo đã gửi chờ duyệt tại những đơn vị bạn được giao duyệt, việc gấp nhất trước."),
    "Submitted at": "Thời điểm gửi",
    "Submitted by": "Người gửi",
    "Open the report": "Mở báo cáo",
    "You do not approve reports.": "Bạn không được giao duyệt báo cáo.",
    ("You entered or sent this report: another approver must approve it."):
        ("Bạn đã nhập hoặc gửi báo cáo này: cần một người duyệt khác phê duyệt."),
})


def main() -> None:
    po = polib.pofile(str(PO))
    po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    missing = []
    for entry in po:
        if entry.msgid_plural:
            entry.msgstr_plural = {0: PLURALS.get(entry.msgid, "")}
            if entry.msgid not in PLURALS:
                missing.append(entry.msgid)
        elif entry.msgid in VI:
            entry.msgstr = VI[entry.msgid]
        else:
            missing.append(entry.msgid)
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    po.save()
    po.save_as_mofile(str(PO.with_suffix(".mo")))
    print(f"{len(po) - len(missing)} translated, {len(missing)} missing: {missing}")


if __name__ == "__main__":
    main()
