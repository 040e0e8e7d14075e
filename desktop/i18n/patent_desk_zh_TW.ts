<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_TW">
<context>
    <name>AskPage</name>
    <message>
        <location filename="../pages/ask.py" line="76"/>
        <source>Ask a question, e.g. 新型專利技術報告有什麼用？</source>
        <translation>輸入問題，例如：新型專利技術報告有什麼用？</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="77"/>
        <source>Official answer</source>
        <translation>官方解答</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="79"/>
        <source>Quote the best matching official answer word for word (no language model).</source>
        <translation>逐字引用最相符的官方解答（不使用語言模型）。</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="80"/>
        <source>Generated</source>
        <translation>生成回答</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="82"/>
        <source>Let the local language model write an answer from the top entries, citing them.</source>
        <translation>由本機語言模型根據最相關的條目撰寫回答，並標註出處。</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="87"/>
        <source>Ask</source>
        <translation>提問</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="88"/>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="90"/>
        <source>Stop the model writing; the answer keeps what it has written so far.</source>
        <translation>停止語言模型撰寫；回答保留目前已寫出的內容。</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="94"/>
        <source>Copy answer with sources</source>
        <translation>複製回答與出處</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="96"/>
        <source>Cited</source>
        <translation>引用</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="96"/>
        <source>Question</source>
        <translation>問題</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="96"/>
        <source>Category</source>
        <translation>類別</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="96"/>
        <source>Score</source>
        <translation>分數</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="97"/>
        <source>Found by</source>
        <translation>找到方式</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="160"/>
        <source>Loading the language model…</source>
        <translation>正在載入語言模型…</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="169"/>
        <source>Language model ready: {model}</source>
        <translation>語言模型已就緒：{model}</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="184"/>
        <source>Writing the answer…</source>
        <translation>正在撰寫回答…</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="185"/>
        <source>Searching…</source>
        <translation>搜尋中…</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="202"/>
        <source>Stopping…</source>
        <translation>正在停止…</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="206"/>
        <source>{stage}…</source>
        <translation>{stage}…</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="222"/>
        <source>Sources</source>
        <translation>出處</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="226"/>
        <source>lexical</source>
        <translation>字詞</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="226"/>
        <source>dense</source>
        <translation>語意</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="227"/>
        <source>both</source>
        <translation>兩者</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="238"/>
        <source>Answered by: {model}</source>
        <translation>回答來源：{model}</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="240"/>
        <source>Stopped: the answer is what was written before Stop</source>
        <translation>已停止：回答為按下停止前已寫出的內容</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="245"/>
        <source>first words after {seconds:.1f} s</source>
        <translation>{seconds:.1f} 秒後開始作答</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="252"/>
        <source>{n} citation(s) corrected to the source the text quotes</source>
        <translation>已將 {n} 處引用改為內文實際引述的來源</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="256"/>
        <source>{n} sentence(s) in the sources that gave the model orders were not passed to it</source>
        <translation>來源中有 {n} 句對模型下指令的文字，未交給模型</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="259"/>
        <source>searched as: {terms}</source>
        <translation>以詞彙表譯為：{terms}</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="243"/>
        <source>{seconds:.1f} s</source>
        <translation>{seconds:.1f} 秒</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="248"/>
        <source>{n} citation(s) naming no source were removed</source>
        <translation>已移除 {n} 個不對應任何來源的引用標記</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="290"/>
        <source>Entry {id} is no longer in this workspace.</source>
        <translation>條目 {id} 已不在此工作區中。</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="302"/>
        <source>Answer and sources copied.</source>
        <translation>已複製回答與出處。</translation>
    </message>
    <message>
        <location filename="../pages/ask.py" line="262"/>
        <source>semantic search: {n}% ready</source>
        <translation>語意搜尋已完成 {n}%</translation>
    </message>
</context>
<context>
    <name>CheckPage</name>
    <message>
        <location filename="../import_pages.py" line="256"/>
        <source>Review before importing</source>
        <translation>匯入前檢查</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="258"/>
        <source>Import</source>
        <translation>匯入</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="268"/>
        <source>Nothing has been changed yet. Import adds these entries to workspace &apos;{name}&apos;.</source>
        <translation>目前尚未做任何變更。按「匯入」會將這些條目加入工作區「{name}」。</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="272"/>
        <source>{files} files: {items} entries to import, {skipped} rows skipped.</source>
        <translation>{files} 個檔案：將匯入 {items} 個條目，略過 {skipped} 列。</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="278"/>
        <source>{name}: will not be imported. {error}</source>
        <translation>{name}：不會匯入。{error}</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="286"/>
        <source>{name}: {items} entries, {skipped} rows skipped ({encoding}; columns {columns})</source>
        <translation>{name}：{items} 個條目，略過 {skipped} 列（{encoding}；欄位 {columns}）</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="290"/>
        <source>Row {row}: {reason}</source>
        <translation>第 {row} 列：{reason}</translation>
    </message>
</context>
<context>
    <name>ColumnsPage</name>
    <message>
        <location filename="../import_pages.py" line="126"/>
        <source>Check how each file is read</source>
        <translation>確認每個檔案的讀取方式</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="127"/>
        <source>The first rows as read. Correct the encoding or the columns if they are wrong.</source>
        <translation>以下是讀取到的前幾列。如有錯誤，請更正編碼或欄位。</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="143"/>
        <source>File</source>
        <translation>檔案</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="144"/>
        <source>Encoding</source>
        <translation>編碼</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="146"/>
        <location filename="../import_pages.py" line="209"/>
        <source>Question</source>
        <translation>問題</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="147"/>
        <location filename="../import_pages.py" line="209"/>
        <source>Answer</source>
        <translation>解答</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="148"/>
        <location filename="../import_pages.py" line="211"/>
        <source>Category</source>
        <translation>類別</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="151"/>
        <source>Columns</source>
        <translation>欄位</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="195"/>
        <source>(choose a column)</source>
        <translation>（請選擇欄位）</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="197"/>
        <location filename="../import_pages.py" line="201"/>
        <source>(blank)</source>
        <translation>（空白）</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="199"/>
        <source>(none)</source>
        <translation>（無）</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="232"/>
        <source>{items} entries will be imported; {skipped} rows will be skipped.</source>
        <translation>將匯入 {items} 個條目；將略過 {skipped} 列。</translation>
    </message>
</context>
<context>
    <name>Eta</name>
    <message>
        <location filename="../pages/tuning_views.py" line="178"/>
        <source>about {n} s left</source>
        <translation>約剩 {n} 秒</translation>
    </message>
    <message>
        <location filename="../pages/tuning_views.py" line="180"/>
        <source>about {n} min left</source>
        <translation>約剩 {n} 分鐘</translation>
    </message>
</context>
<context>
    <name>FilesPage</name>
    <message>
        <location filename="../import_pages.py" line="75"/>
        <source>Choose files</source>
        <translation>選擇檔案</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="76"/>
        <source>CSV, TSV, XLSX or JSONL files with a question and an answer column. You can also drop files onto the main window.</source>
        <translation>含有問題欄與解答欄的 CSV、TSV、XLSX 或 JSONL 檔案。也可以把檔案拖放到主視窗。</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="79"/>
        <source>Add files…</source>
        <translation>加入檔案…</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="80"/>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="93"/>
        <source>Import spreadsheets</source>
        <translation>匯入試算表</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="94"/>
        <source>Spreadsheets ({patterns})</source>
        <translation>試算表（{patterns}）</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="108"/>
        <source>{name} — {items} entries, {skipped} rows skipped</source>
        <translation>{name} — {items} 個條目，略過 {skipped} 列</translation>
    </message>
</context>
<context>
    <name>ImportWizard</name>
    <message>
        <location filename="../import_wizard.py" line="38"/>
        <source>Import spreadsheets</source>
        <translation>匯入試算表</translation>
    </message>
    <message>
        <location filename="../import_wizard.py" line="123"/>
        <source>Import finished: {added} added, {updated} updated.</source>
        <translation>匯入完成：新增 {added} 個，更新 {updated} 個。</translation>
    </message>
    <message>
        <location filename="../import_wizard.py" line="129"/>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
</context>
<context>
    <name>ImprovePage</name>
    <message>
        <location filename="../pages/improve.py" line="49"/>
        <source>Improve retrieval</source>
        <translation>改善檢索</translation>
    </message>
    <message>
        <location filename="../pages/improve.py" line="54"/>
        <source>Write practice queries for every entry, train a small adapter on them, and use it only if it finds the held-out queries&apos; entries better than the current model.</source>
        <translation>為每個條目產生練習查詢，用它們訓練一個小型適配器；只有在保留測試查詢上找得比目前模型更準時才會啟用。</translation>
    </message>
    <message>
        <location filename="../pages/improve.py" line="56"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../pages/improve.py" line="71"/>
        <source>Accept</source>
        <translation>接受</translation>
    </message>
    <message>
        <location filename="../pages/improve.py" line="72"/>
        <source>Reject</source>
        <translation>拒絕</translation>
    </message>
    <message>
        <location filename="../pages/improve.py" line="73"/>
        <source>Re-train with reviewed queries</source>
        <translation>以審閱過的查詢重新訓練</translation>
    </message>
    <message>
        <location filename="../pages/improve.py" line="75"/>
        <source>ID</source>
        <translation>編號</translation>
    </message>
    <message>
        <location filename="../pages/improve.py" line="75"/>
        <source>Date</source>
        <translation>日期</translation>
    </message>
    <message>
        <location filename="../pages/improve.py" line="75"/>
        <source>Kind</source>
        <translation>類型</translation>
    </message>
    <message>
        <location filename="../pages/improve.py" line="76"/>
        <source>Training queries</source>
        <translation>訓練查詢</translation>
    </message>
    <message>
        <location filename="../pages/improve.py" line="76"/>
        <source>Active</source>
        <translation>使用中</translation>
    </message>
    <message>
        <location filename="../pages/improve.py" line="83"/>
        <source>Activate</source>
        <translation>啟用</translation>
    </message>
    <message>
        <location filename="../pages/improve.py" line="84"/>
        <source>Roll back to base</source>
        <translation>還原為基礎模型</translation>
    </message>
    <message>
        <location filename="../pages/improve.py" line="111"/>
        <source>Angle:</source>
        <translation>角度：</translation>
    </message>
    <message>
        <location filename="../pages/improve.py" line="127"/>
        <source>Generated queries</source>
        <translation>產生的查詢</translation>
    </message>
    <message>
        <location filename="../pages/improve.py" line="128"/>
        <source>Adapter history</source>
        <translation>適配器紀錄</translation>
    </message>
    <message>
        <location filename="../pages/improve.py" line="167"/>
        <source>All angles</source>
        <translation>所有角度</translation>
    </message>
    <message>
        <location filename="../pages/improve.py" line="183"/>
        <source>query side</source>
        <translation>查詢端</translation>
    </message>
    <message>
        <location filename="../pages/improve.py" line="183"/>
        <source>both sides</source>
        <translation>雙端</translation>
    </message>
    <message>
        <location filename="../pages/improve.py" line="204"/>
        <source>Starting…</source>
        <translation>開始中…</translation>
    </message>
    <message>
        <location filename="../pages/improve.py" line="221"/>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <location filename="../pages/improve.py" line="241"/>
        <source>Done.</source>
        <translation>完成。</translation>
    </message>
    <message>
        <location filename="../pages/improve.py" line="243"/>
        <source>Adapter {id} is now in use: {reason}.</source>
        <translation>適配器 {id} 已啟用：{reason}。</translation>
    </message>
    <message>
        <location filename="../pages/improve.py" line="244"/>
        <source>Adapter {id} was kept aside: {reason}.</source>
        <translation>適配器 {id} 已保留但未啟用：{reason}。</translation>
    </message>
    <message>
        <location filename="../pages/improve.py" line="252"/>
        <source>Stopped.</source>
        <translation>已停止。</translation>
    </message>
    <message>
        <location filename="../pages/improve.py" line="257"/>
        <source>Cancelled; the model in use is unchanged.</source>
        <translation>已取消；使用中的模型沒有變更。</translation>
    </message>
    <message>
        <location filename="../pages/improve.py" line="289"/>
        <source>Using the base encoder.</source>
        <translation>使用基礎編碼器。</translation>
    </message>
    <message>
        <location filename="../pages/improve.py" line="290"/>
        <source>Using adapter {id}.</source>
        <translation>使用適配器 {id}。</translation>
    </message>
</context>
<context>
    <name>ItemDialog</name>
    <message>
        <location filename="../item_dialog.py" line="22"/>
        <source>Entry {id}</source>
        <translation>條目 {id}</translation>
    </message>
    <message>
        <location filename="../item_dialog.py" line="27"/>
        <source>(none)</source>
        <translation>（無）</translation>
    </message>
    <message>
        <location filename="../item_dialog.py" line="28"/>
        <source>{file}, row {row}</source>
        <translation>{file}，第 {row} 列</translation>
    </message>
    <message>
        <location filename="../item_dialog.py" line="36"/>
        <source>Question</source>
        <translation>問題</translation>
    </message>
    <message>
        <location filename="../item_dialog.py" line="37"/>
        <source>Answer</source>
        <translation>解答</translation>
    </message>
    <message>
        <location filename="../item_dialog.py" line="38"/>
        <source>Category</source>
        <translation>類別</translation>
    </message>
    <message>
        <location filename="../item_dialog.py" line="39"/>
        <source>Source</source>
        <translation>來源</translation>
    </message>
</context>
<context>
    <name>ItemEditor</name>
    <message>
        <location filename="../item_editor.py" line="33"/>
        <source>Edit entry {id}</source>
        <translation>編輯條目 {id}</translation>
    </message>
    <message>
        <location filename="../item_editor.py" line="34"/>
        <source>New entry</source>
        <translation>新增條目</translation>
    </message>
    <message>
        <location filename="../item_editor.py" line="41"/>
        <source>(none)</source>
        <translation>（無）</translation>
    </message>
    <message>
        <location filename="../item_editor.py" line="51"/>
        <source>Question</source>
        <translation>問題</translation>
    </message>
    <message>
        <location filename="../item_editor.py" line="52"/>
        <source>Answer</source>
        <translation>解答</translation>
    </message>
    <message>
        <location filename="../item_editor.py" line="53"/>
        <source>Category</source>
        <translation>類別</translation>
    </message>
    <message>
        <location filename="../item_editor.py" line="55"/>
        <source>{file}, row {row}</source>
        <translation>{file}，第 {row} 列</translation>
    </message>
    <message>
        <location filename="../item_editor.py" line="57"/>
        <source>typed in by hand</source>
        <translation>手動輸入</translation>
    </message>
    <message>
        <location filename="../item_editor.py" line="59"/>
        <source>Source</source>
        <translation>來源</translation>
    </message>
    <message>
        <location filename="../item_editor.py" line="73"/>
        <source>Saving…</source>
        <translation>儲存中…</translation>
    </message>
    <message>
        <location filename="../item_editor.py" line="83"/>
        <source>Save</source>
        <translation>儲存</translation>
    </message>
</context>
<context>
    <name>ItemTableModel</name>
    <message>
        <location filename="../pages/library.py" line="54"/>
        <source>ID</source>
        <translation>編號</translation>
    </message>
    <message>
        <location filename="../pages/library.py" line="54"/>
        <source>Question</source>
        <translation>問題</translation>
    </message>
    <message>
        <location filename="../pages/library.py" line="54"/>
        <source>Answer</source>
        <translation>解答</translation>
    </message>
    <message>
        <location filename="../pages/library.py" line="55"/>
        <source>Category</source>
        <translation>類別</translation>
    </message>
    <message>
        <location filename="../pages/library.py" line="55"/>
        <source>Source</source>
        <translation>來源</translation>
    </message>
    <message>
        <location filename="../pages/library.py" line="115"/>
        <source>typed in by hand</source>
        <translation>手動輸入</translation>
    </message>
    <message>
        <location filename="../pages/library.py" line="116"/>
        <source>{file}, row {row}</source>
        <translation>{file}，第 {row} 列</translation>
    </message>
</context>
<context>
    <name>LibraryPage</name>
    <message>
        <location filename="../pages/library.py" line="130"/>
        <source>Filter entries (Ctrl+F)…</source>
        <translation>篩選條目（Ctrl+F）…</translation>
    </message>
    <message>
        <location filename="../pages/library.py" line="134"/>
        <source>Add…</source>
        <translation>新增…</translation>
    </message>
    <message>
        <location filename="../pages/library.py" line="135"/>
        <source>Edit…</source>
        <translation>編輯…</translation>
    </message>
    <message>
        <location filename="../pages/library.py" line="136"/>
        <source>Delete</source>
        <translation>刪除</translation>
    </message>
    <message>
        <location filename="../pages/library.py" line="189"/>
        <source>All categories</source>
        <translation>所有類別</translation>
    </message>
    <message>
        <location filename="../pages/library.py" line="191"/>
        <source>(no category)</source>
        <translation>（無類別）</translation>
    </message>
    <message>
        <location filename="../pages/library.py" line="208"/>
        <source>{n} entries</source>
        <translation>{n} 個條目</translation>
    </message>
    <message>
        <location filename="../pages/library.py" line="209"/>
        <source>{shown} of {n} entries</source>
        <translation>{shown} / {n} 個條目</translation>
    </message>
    <message>
        <location filename="../pages/library.py" line="251"/>
        <source>Saving the entry…</source>
        <translation>正在儲存條目…</translation>
    </message>
    <message>
        <location filename="../pages/library.py" line="264"/>
        <source>Entry {id} saved.</source>
        <translation>條目 {id} 已儲存。</translation>
    </message>
    <message>
        <location filename="../pages/library.py" line="277"/>
        <source>Delete entry {id}, “{question}”?</source>
        <translation>要刪除條目 {id}「{question}」嗎？</translation>
    </message>
    <message>
        <location filename="../pages/library.py" line="279"/>
        <source>Delete these {n} entries?</source>
        <translation>要刪除這 {n} 個條目嗎？</translation>
    </message>
    <message>
        <location filename="../pages/library.py" line="280"/>
        <source>Delete entries</source>
        <translation>刪除條目</translation>
    </message>
    <message>
        <location filename="../pages/library.py" line="286"/>
        <source>{n} entries deleted.</source>
        <translation>已刪除 {n} 個條目。</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../main_window.py" line="106"/>
        <source>Ask</source>
        <translation>提問</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="110"/>
        <source>Library</source>
        <translation>題庫</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="115"/>
        <source>Improve retrieval</source>
        <translation>改善檢索</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="117"/>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <location filename="../window_actions.py" line="33"/>
        <source>Import…</source>
        <translation>匯入…</translation>
    </message>
    <message>
        <location filename="../window_actions.py" line="36"/>
        <source>Export…</source>
        <translation>匯出…</translation>
    </message>
    <message>
        <location filename="../window_actions.py" line="39"/>
        <source>Switch workspace…</source>
        <translation>切換工作區…</translation>
    </message>
    <message>
        <location filename="../window_actions.py" line="42"/>
        <source>Settings…</source>
        <translation>設定…</translation>
    </message>
    <message>
        <location filename="../window_actions.py" line="45"/>
        <source>Quit</source>
        <translation>結束</translation>
    </message>
    <message>
        <location filename="../window_actions.py" line="48"/>
        <source>Filter entries</source>
        <translation>篩選條目</translation>
    </message>
    <message>
        <location filename="../window_actions.py" line="51"/>
        <source>Ask a question</source>
        <translation>提出問題</translation>
    </message>
    <message>
        <location filename="../window_actions.py" line="53"/>
        <source>Open log folder</source>
        <translation>開啟記錄檔資料夾</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="343"/>
        <location filename="../window_actions.py" line="55"/>
        <source>About Patent Desk</source>
        <translation>關於 Patent Desk</translation>
    </message>
    <message>
        <location filename="../window_actions.py" line="58"/>
        <source>Import spreadsheets (Ctrl+I)</source>
        <translation>匯入試算表（Ctrl+I）</translation>
    </message>
    <message>
        <location filename="../window_actions.py" line="60"/>
        <source>Export the entries to XLSX or CSV</source>
        <translation>將條目匯出為 XLSX 或 CSV</translation>
    </message>
    <message>
        <location filename="../window_actions.py" line="64"/>
        <source>&amp;File</source>
        <translation>檔案(&amp;F)</translation>
    </message>
    <message>
        <location filename="../window_actions.py" line="73"/>
        <source>&amp;Help</source>
        <translation>說明(&amp;H)</translation>
    </message>
    <message>
        <location filename="../window_actions.py" line="76"/>
        <source>Main</source>
        <translation>主要</translation>
    </message>
    <message>
        <location filename="../window_actions.py" line="82"/>
        <source>Workspace:</source>
        <translation>工作區：</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="136"/>
        <source>Patent Desk</source>
        <translation>Patent Desk</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="171"/>
        <source>Opening workspace…</source>
        <translation>正在開啟工作區…</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="201"/>
        <source>{n} items in workspace &apos;{name}&apos;</source>
        <translation>工作區「{name}」共有 {n} 個條目</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="229"/>
        <source>Wait until the workspace is open and no task is running, then import.</source>
        <translation>請等工作區開啟且沒有進行中的工作後再匯入。</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="238"/>
        <source>Export entries</source>
        <translation>匯出條目</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="249"/>
        <source>Exporting…</source>
        <translation>匯出中…</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="257"/>
        <source>Exported {n} entries to {path}</source>
        <translation>已匯出 {n} 個條目到 {path}</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="315"/>
        <source>The new language takes effect when Patent Desk starts again.</source>
        <translation>新的語言將在下次啟動 Patent Desk 時生效。</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="329"/>
        <source>The log is in {path}</source>
        <translation>記錄檔位於 {path}</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="339"/>
        <source>Patent Desk {version}

Answers clients&apos; patent questions from your own Q&amp;A knowledge base, offline.</source>
        <translation>Patent Desk {version}

以您自己的問答知識庫離線回答客戶的專利問題。</translation>
    </message>
</context>
<context>
    <name>MetricsChart</name>
    <message>
        <location filename="../pages/tuning_views.py" line="39"/>
        <source>before</source>
        <translation>之前</translation>
    </message>
    <message>
        <location filename="../pages/tuning_views.py" line="39"/>
        <source>after</source>
        <translation>之後</translation>
    </message>
</context>
<context>
    <name>ModelBox</name>
    <message>
        <location filename="../pages/models.py" line="61"/>
        <source>Use</source>
        <translation>使用</translation>
    </message>
    <message>
        <location filename="../pages/models.py" line="69"/>
        <source>Name</source>
        <translation>名稱</translation>
    </message>
    <message>
        <location filename="../pages/models.py" line="70"/>
        <source>Location</source>
        <translation>位置</translation>
    </message>
    <message>
        <location filename="../pages/models.py" line="71"/>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <location filename="../pages/models.py" line="72"/>
        <source>Speed</source>
        <translation>速度</translation>
    </message>
    <message>
        <location filename="../pages/models.py" line="77"/>
        <source>Installed</source>
        <translation>已安裝</translation>
    </message>
    <message>
        <location filename="../pages/models.py" line="86"/>
        <source> (bundled)</source>
        <translation>（內建）</translation>
    </message>
    <message>
        <location filename="../pages/models.py" line="98"/>
        <source>, default</source>
        <translation>，預設</translation>
    </message>
</context>
<context>
    <name>ModelsPage</name>
    <message>
        <location filename="../pages/models.py" line="42"/>
        <source>Every entry ({n}) will be embedded again; semantic search keeps the current vectors until that is done.</source>
        <translation>所有條目（{n} 個）都將重新建立向量；完成之前，語意搜尋仍使用目前的向量。</translation>
    </message>
    <message>
        <location filename="../pages/models.py" line="46"/>
        <source>This workspace is in a shared PostgreSQL store: every seat will need this encoder for semantic search.</source>
        <translation>此工作區位於共用的 PostgreSQL 儲存區：每個座位都需要這個編碼器才能使用語意搜尋。</translation>
    </message>
    <message>
        <location filename="../pages/models.py" line="49"/>
        <source>Embed every entry again?</source>
        <translation>要為所有條目重新建立向量嗎？</translation>
    </message>
    <message>
        <location filename="../pages/models.py" line="108"/>
        <source>Language model (writes generated answers)</source>
        <translation>語言模型（撰寫生成回答）</translation>
    </message>
    <message>
        <location filename="../pages/models.py" line="109"/>
        <source>Choose GGUF file…</source>
        <translation>選擇 GGUF 檔案…</translation>
    </message>
    <message>
        <location filename="../pages/models.py" line="109"/>
        <source>Use bundled model</source>
        <translation>使用內建模型</translation>
    </message>
    <message>
        <location filename="../pages/models.py" line="110"/>
        <source>Sentence encoder (semantic search)</source>
        <translation>句向量編碼器（語意搜尋）</translation>
    </message>
    <message>
        <location filename="../pages/models.py" line="111"/>
        <source>Choose encoder folder…</source>
        <translation>選擇編碼器資料夾…</translation>
    </message>
    <message>
        <location filename="../pages/models.py" line="112"/>
        <source>Use bundled encoder</source>
        <translation>使用內建編碼器</translation>
    </message>
    <message>
        <location filename="../pages/models.py" line="114"/>
        <source>All cores</source>
        <translation>全部核心</translation>
    </message>
    <message>
        <location filename="../pages/models.py" line="116"/>
        <source> tokens</source>
        <translation> 個 token</translation>
    </message>
    <message>
        <location filename="../pages/models.py" line="118"/>
        <source>empty: the model on this computer</source>
        <translation>留空：使用本機上的模型</translation>
    </message>
    <message>
        <location filename="../pages/models.py" line="120"/>
        <source>An OpenAI-compatible server shared by several seats (llama.cpp server, vLLM, Ollama), e.g. http://192.168.1.20:8000/v1</source>
        <translation>多個座位共用的 OpenAI 相容伺服器（llama.cpp server、vLLM、Ollama），例如 http://192.168.1.20:8000/v1</translation>
    </message>
    <message>
        <location filename="../pages/models.py" line="122"/>
        <source>Apply</source>
        <translation>套用</translation>
    </message>
    <message>
        <location filename="../pages/models.py" line="123"/>
        <source>Language model settings (this workspace)</source>
        <translation>語言模型設定（此工作區）</translation>
    </message>
    <message>
        <location filename="../pages/models.py" line="125"/>
        <source>Threads</source>
        <translation>執行緒</translation>
    </message>
    <message>
        <location filename="../pages/models.py" line="126"/>
        <source>Context size</source>
        <translation>上下文長度</translation>
    </message>
    <message>
        <location filename="../pages/models.py" line="127"/>
        <source>LLM server</source>
        <translation>LLM 伺服器</translation>
    </message>
    <message>
        <location filename="../pages/models.py" line="183"/>
        <source>Choose a GGUF language model</source>
        <translation>選擇 GGUF 語言模型</translation>
    </message>
    <message>
        <location filename="../pages/models.py" line="184"/>
        <source>GGUF models (*.gguf)</source>
        <translation>GGUF 模型 (*.gguf)</translation>
    </message>
    <message>
        <location filename="../pages/models.py" line="190"/>
        <source>Choose a sentence-transformers model folder</source>
        <translation>選擇 sentence-transformers 模型資料夾</translation>
    </message>
    <message>
        <location filename="../pages/models.py" line="202"/>
        <source>Checking the model…</source>
        <translation>正在檢查模型…</translation>
    </message>
    <message>
        <location filename="../pages/models.py" line="216"/>
        <source>Model changed.</source>
        <translation>模型已變更。</translation>
    </message>
    <message>
        <location filename="../pages/models.py" line="234"/>
        <source>Saved; the language model uses them from its next answer.</source>
        <translation>已儲存；語言模型會從下一次回答開始使用。</translation>
    </message>
    <message>
        <location filename="../pages/models.py" line="237"/>
        <source>Connecting to the LLM server…</source>
        <translation>正在連線到 LLM 伺服器…</translation>
    </message>
</context>
<context>
    <name>QueryPrep</name>
    <message>
        <location filename="../query_prep.py" line="37"/>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <location filename="../query_prep.py" line="39"/>
        <source>Stop writing training questions; what was written is kept for Improve retrieval.</source>
        <translation>停止撰寫訓練問題；已寫好的會保留給「改善檢索」使用。</translation>
    </message>
    <message>
        <location filename="../query_prep.py" line="99"/>
        <source>Training questions: stopping…</source>
        <translation>訓練問題：正在停止…</translation>
    </message>
    <message>
        <location filename="../query_prep.py" line="106"/>
        <source>Training questions: {done} of {total} entries</source>
        <translation>訓練問題：{done} / {total} 筆</translation>
    </message>
    <message>
        <location filename="../query_prep.py" line="108"/>
        <source>Training questions: starting…</source>
        <translation>訓練問題：開始撰寫…</translation>
    </message>
    <message>
        <location filename="../query_prep.py" line="116"/>
        <source>Training questions ready for Improve retrieval: {n} new</source>
        <translation>訓練問題已備妥，可供「改善檢索」使用：新增 {n} 則</translation>
    </message>
    <message>
        <location filename="../query_prep.py" line="131"/>
        <source>Training questions were not written: {reason}</source>
        <translation>未能撰寫訓練問題：{reason}</translation>
    </message>
</context>
<context>
    <name>QueryTableModel</name>
    <message>
        <location filename="../pages/tuning_views.py" line="82"/>
        <source>Query</source>
        <translation>查詢</translation>
    </message>
    <message>
        <location filename="../pages/tuning_views.py" line="82"/>
        <source>Angle</source>
        <translation>角度</translation>
    </message>
    <message>
        <location filename="../pages/tuning_views.py" line="82"/>
        <source>Status</source>
        <translation>狀態</translation>
    </message>
    <message>
        <location filename="../pages/tuning_views.py" line="82"/>
        <source>Split</source>
        <translation>分組</translation>
    </message>
    <message>
        <location filename="../pages/tuning_views.py" line="83"/>
        <source>Should find</source>
        <translation>應找到</translation>
    </message>
    <message>
        <location filename="../pages/tuning_views.py" line="84"/>
        <source>generated</source>
        <translation>已產生</translation>
    </message>
    <message>
        <location filename="../pages/tuning_views.py" line="84"/>
        <source>accepted</source>
        <translation>已接受</translation>
    </message>
    <message>
        <location filename="../pages/tuning_views.py" line="85"/>
        <source>edited</source>
        <translation>已編輯</translation>
    </message>
    <message>
        <location filename="../pages/tuning_views.py" line="85"/>
        <source>rejected</source>
        <translation>已拒絕</translation>
    </message>
</context>
<context>
    <name>RunPage</name>
    <message>
        <location filename="../import_pages.py" line="302"/>
        <source>Importing</source>
        <translation>匯入中</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="303"/>
        <source>Each file&apos;s entries can be searched as soon as it is stored; semantic search follows in the background. Cancel keeps the files already imported.</source>
        <translation>每個檔案儲存完成後，其條目即可搜尋；語意搜尋會在背景接著建立。取消時，已匯入完成的檔案會保留。</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="306"/>
        <source>Starting…</source>
        <translation>開始中…</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="310"/>
        <source>File</source>
        <translation>檔案</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="310"/>
        <source>Added</source>
        <translation>新增</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="310"/>
        <source>Updated</source>
        <translation>更新</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="310"/>
        <source>Unchanged</source>
        <translation>未變更</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="311"/>
        <source>Skipped</source>
        <translation>略過</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="347"/>
        <source>Done: {added} added, {updated} updated, {unchanged} unchanged, {skipped} skipped.</source>
        <translation>完成：新增 {added}、更新 {updated}、未變更 {unchanged}、略過 {skipped}。</translation>
    </message>
    <message>
        <location filename="../import_pages.py" line="353"/>
        <source>The workspace now has {n} entries.</source>
        <translation>工作區現有 {n} 個條目。</translation>
    </message>
</context>
<context>
    <name>SemanticFill</name>
    <message>
        <location filename="../semantic_fill.py" line="70"/>
        <source>Semantic search: {n}% ready</source>
        <translation>語意搜尋：已完成 {n}%</translation>
    </message>
    <message>
        <location filename="../semantic_fill.py" line="72"/>
        <source>Semantic search: {stage}…</source>
        <translation>語意搜尋：{stage}…</translation>
    </message>
    <message>
        <location filename="../semantic_fill.py" line="83"/>
        <source>Semantic search unavailable: {reason}</source>
        <translation>語意搜尋無法使用：{reason}</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../settings.py" line="79"/>
        <source>Settings</source>
        <translation>設定</translation>
    </message>
    <message>
        <location filename="../settings.py" line="81"/>
        <source>System</source>
        <translation>跟隨系統</translation>
    </message>
    <message>
        <location filename="../settings.py" line="85"/>
        <source>A new language takes effect when Patent Desk starts again.</source>
        <translation>新的語言將在下次啟動 Patent Desk 時生效。</translation>
    </message>
    <message>
        <location filename="../settings.py" line="88"/>
        <source>empty: the workspaces on this computer</source>
        <translation>留空：使用本機上的工作區</translation>
    </message>
    <message>
        <location filename="../settings.py" line="90"/>
        <source>A PostgreSQL database (with pgvector) that several seats share, e.g. postgresql://patentdesk@192.168.1.20/patentdesk; applies at once</source>
        <translation>多個座位共用的 PostgreSQL 資料庫（需 pgvector），例如 postgresql://patentdesk@192.168.1.20/patentdesk；立即生效</translation>
    </message>
    <message>
        <location filename="../settings.py" line="102"/>
        <source>Language</source>
        <translation>語言</translation>
    </message>
    <message>
        <location filename="../settings.py" line="104"/>
        <source>Shared store</source>
        <translation>共用資料庫</translation>
    </message>
</context>
<context>
    <name>Stages</name>
    <message>
        <location filename="../stages.py" line="13"/>
        <source>Generating queries</source>
        <translation>正在產生查詢</translation>
    </message>
    <message>
        <location filename="../stages.py" line="14"/>
        <source>Mining negatives</source>
        <translation>正在挑選負例</translation>
    </message>
    <message>
        <location filename="../stages.py" line="15"/>
        <source>Training</source>
        <translation>正在訓練</translation>
    </message>
    <message>
        <location filename="../stages.py" line="16"/>
        <source>Embedding</source>
        <translation>正在建立向量</translation>
    </message>
    <message>
        <location filename="../stages.py" line="19"/>
        <source>Measuring search quality</source>
        <translation>正在評估檢索品質</translation>
    </message>
    <message>
        <location filename="../stages.py" line="21"/>
        <source>Loading encoder</source>
        <translation>正在載入編碼器</translation>
    </message>
    <message>
        <location filename="../stages.py" line="22"/>
        <source>Loading language model</source>
        <translation>正在載入語言模型</translation>
    </message>
    <message>
        <location filename="../stages.py" line="17"/>
        <source>Storing</source>
        <translation>儲存中</translation>
    </message>
    <message>
        <location filename="../stages.py" line="18"/>
        <source>Semantic search</source>
        <translation>語意搜尋</translation>
    </message>
</context>
<context>
    <name>WorkspaceSwitcher</name>
    <message>
        <location filename="../workspace_bar.py" line="39"/>
        <source>Workspace: one knowledge base with its own settings</source>
        <translation>工作區：一個擁有自己設定的知識庫</translation>
    </message>
    <message>
        <location filename="../workspace_bar.py" line="41"/>
        <source>New workspace…</source>
        <translation>新增工作區…</translation>
    </message>
    <message>
        <location filename="../workspace_bar.py" line="42"/>
        <source>Rename workspace…</source>
        <translation>重新命名工作區…</translation>
    </message>
    <message>
        <location filename="../workspace_bar.py" line="43"/>
        <source>Delete workspace…</source>
        <translation>刪除工作區…</translation>
    </message>
    <message>
        <location filename="../workspace_bar.py" line="70"/>
        <source>Wait until the current task ends (or cancel it), then try again.</source>
        <translation>請等目前的工作結束（或取消它）後再試一次。</translation>
    </message>
    <message>
        <location filename="../workspace_bar.py" line="127"/>
        <source>Workspace &apos;{name}&apos; was deleted.</source>
        <translation>工作區「{name}」已刪除。</translation>
    </message>
    <message>
        <location filename="../workspace_bar.py" line="132"/>
        <source>New workspace</source>
        <translation>新增工作區</translation>
    </message>
    <message>
        <location filename="../workspace_bar.py" line="133"/>
        <source>Name of the new workspace:</source>
        <translation>新工作區的名稱：</translation>
    </message>
    <message>
        <location filename="../workspace_bar.py" line="140"/>
        <source>Rename workspace</source>
        <translation>重新命名工作區</translation>
    </message>
    <message>
        <location filename="../workspace_bar.py" line="141"/>
        <source>New name for workspace &apos;{name}&apos;:</source>
        <translation>工作區「{name}」的新名稱：</translation>
    </message>
    <message>
        <location filename="../workspace_bar.py" line="149"/>
        <source>Delete workspace</source>
        <translation>刪除工作區</translation>
    </message>
    <message>
        <location filename="../workspace_bar.py" line="150"/>
        <source>Delete workspace &apos;{name}&apos; with all its items, tuned adapters and settings? This cannot be undone.</source>
        <translation>要刪除工作區「{name}」及其所有條目、訓練過的適配器與設定嗎？此動作無法復原。</translation>
    </message>
</context>
</TS>
