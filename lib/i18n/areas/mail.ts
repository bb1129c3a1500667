// The mail area's messages (keys "mail.…"); see lib/i18n/area.ts. What leaves the site: account
// emails, invitations and cancellations with their calendar text, the personal feed's join text,
// and reminders (push and email). German speaks formally (Sie), Spanish informally (tú).

import { defineArea } from "../area.ts";

export const mail = defineArea({
  // ---- Every account email ----
  "mail.greeting": "Hello {name},",
  "mail.signature": "— Talkspace",
  "mail.linkFallback": "If the link does not open, copy this address into your browser:",
  // ---- Verification ----
  "mail.verify.subject": "Confirm your email address for Talkspace",
  "mail.verify.body":
    "Welcome to Talkspace! Please confirm that {email} is your email address, so we can send you meeting invitations and help you if you ever forget your password.",
  "mail.verify.action": "Confirm my email address",
  "mail.verify.after":
    "The link works for 24 hours. If you did not create a Talkspace account, you can ignore this email.",
  // ---- Password reset ----
  "mail.reset.subject": "Reset your Talkspace password",
  "mail.reset.body": "Someone (hopefully you) asked to reset the password of your Talkspace account.",
  "mail.reset.action": "Choose a new password",
  "mail.reset.after":
    "The link works once, for 30 minutes. If you did not ask for this, ignore this email: your password stays the same.",
  // ---- Email change: the link to the new address, the notice to the old one ----
  "mail.changeEmail.subject": "Confirm your new email address for Talkspace",
  "mail.changeEmail.body": "You asked to use {email} for your Talkspace account. Please confirm it is yours.",
  "mail.changeEmail.action": "Use this email address",
  "mail.changeEmail.after":
    "The link works for 24 hours. Until you open it, your account keeps its current address. If you did not ask for this, ignore this email.",
  "mail.changeNotice.subject": "Your Talkspace email address is about to change",
  "mail.changeNotice.body":
    "Someone signed in to your Talkspace account asked to change its email address to {email}. The change happens once the link we sent to the new address is opened.",
  "mail.changeNotice.advice":
    "If this was you, there is nothing more to do here. If it was not, change your password now and tell your Talkspace administrator.",
  // ---- Password changed ----
  "mail.passwordChanged.subject": "Your Talkspace password was changed",
  "mail.passwordChanged.body":
    "The password of your Talkspace account was just changed, and other devices were signed out.",
  "mail.passwordChanged.advice":
    "If this was you, there is nothing more to do. If it was not, reset your password from the sign-in page right away and tell your Talkspace administrator.",
  // ---- Sign-up with an address that already has an account ----
  "mail.signupAttempt.subject": "Someone tried to create a Talkspace account with your address",
  "mail.signupAttempt.body":
    "Someone (perhaps you) tried to create a new Talkspace account with {email}. You already have an account with this address, so no new account was made.",
  "mail.signupAttempt.signin":
    "If it was you, sign in at {url}, or choose a new password with the link below if you forgot it.",
  "mail.signupAttempt.after":
    "The link works once, for 30 minutes. If it was not you, ignore this email: nothing about your account has changed.",
  // ---- How to join (invitation text and HTML, the .ics DESCRIPTION) ----
  "mail.join.link": "Join: {url}",
  "mail.join.meetingId": "Meeting ID: {id}",
  "mail.join.passcode": "Passcode: {passcode}",
  "mail.join.sip": "Dial in from a SIP room system: {uri}",
  "mail.join.phone": "Dial in by phone: {number} (meeting ID {id} #, passcode {passcode} #)",
  "mail.join.button": "Join the meeting",
  // ---- Invitations ----
  "mail.invite.subjectNew": "Invitation: {title} — {when}",
  "mail.invite.subjectUpdate": "Updated invitation: {title} — {when}",
  "mail.invite.leadNew": '{host} ({email}) invites you to "{title}".',
  "mail.invite.leadUpdate": '{host} ({email}) changed "{title}".',
  "mail.invite.when": "When: {when}",
  "mail.invite.length": "Length: {minutes, plural, one {# minute} other {# minutes}}",
  "mail.invite.repeats": "Repeats: {summary}",
  "mail.invite.accept": "Accept",
  "mail.invite.decline": "Decline",
  // ---- Cancellations ----
  "mail.cancel.subject": "Cancelled: {title}",
  "mail.cancel.subjectWhen": "Cancelled: {title} — {when}",
  "mail.cancel.removed": '{host} removed you from "{title}".',
  "mail.cancel.occurrence": '{host} cancelled the meeting on {when} of "{title}".',
  "mail.cancel.series": '{host} cancelled all meetings of this series of "{title}".',
  "mail.cancel.note": "Your calendar will remove it when you open this message.",
  // ---- Reminders (the push body and the email for people without a device) ----
  "mail.reminder.startingNow": "Starting now",
  "mail.reminder.inMinutes": "Starts in {count, plural, one {# minute} other {# minutes}}",
  "mail.reminder.inHours": "Starts in {count, plural, one {# hour} other {# hours}}",
  "mail.reminder.inDays": "Starts in {count, plural, one {# day} other {# days}}",
  "mail.reminder.subject": "Reminder: {title}",
  "mail.reminder.why": "You get this email because you have no device set up for notifications.",
  "mail.reminder.choose": "Choose when you are reminded at {url}",
  "mail.reminder.chooseLink": "Choose when you are reminded",
  // ---- Recordings (the email and the push to the host)
  "mail.recordingReady.subject": "Your recording is ready: {title}",
  "mail.recordingReady.body": "The recording of “{title}” is ready. You can watch it, download it and share it.",
  "mail.recordingReady.action": "Open the recording",
  "mail.recordingReady.after": "Recordings are deleted automatically after a while; the recording's page says when.",
  "mail.recordingReady.push": "Tap to watch it.",
  "mail.recordingFailed.subject": "Your recording could not be made: {title}",
  "mail.recordingFailed.body": "Your recording of “{title}” could not be made: {reason}",
  "mail.recordingFailed.action": "See the recording",
}, {
  de: {
    "mail.greeting": "Hallo {name},",
    "mail.signature": "— Ihr Talkspace",
    "mail.linkFallback": "Falls sich der Link nicht öffnet, kopieren Sie diese Adresse in Ihren Browser:",
    "mail.verify.subject": "Bestätigen Sie Ihre E-Mail-Adresse für Talkspace",
    "mail.verify.body":
      "Willkommen bei Talkspace! Bitte bestätigen Sie, dass {email} Ihre E-Mail-Adresse ist, damit wir Ihnen Einladungen zu Meetings senden und Ihnen helfen können, falls Sie einmal Ihr Passwort vergessen.",
    "mail.verify.action": "E-Mail-Adresse bestätigen",
    "mail.verify.after":
      "Der Link ist 24 Stunden lang gültig. Wenn Sie kein Talkspace-Konto erstellt haben, können Sie diese E-Mail ignorieren.",
    "mail.reset.subject": "Setzen Sie Ihr Talkspace-Passwort zurück",
    "mail.reset.body": "Jemand (hoffentlich Sie) möchte das Passwort Ihres Talkspace-Kontos zurücksetzen.",
    "mail.reset.action": "Neues Passwort wählen",
    "mail.reset.after":
      "Der Link funktioniert einmal und ist 30 Minuten lang gültig. Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail: Ihr Passwort bleibt unverändert.",
    "mail.changeEmail.subject": "Bestätigen Sie Ihre neue E-Mail-Adresse für Talkspace",
    "mail.changeEmail.body":
      "Sie möchten {email} für Ihr Talkspace-Konto verwenden. Bitte bestätigen Sie, dass diese Adresse Ihnen gehört.",
    "mail.changeEmail.action": "Diese E-Mail-Adresse verwenden",
    "mail.changeEmail.after":
      "Der Link ist 24 Stunden lang gültig. Bis Sie ihn öffnen, behält Ihr Konto seine bisherige Adresse. Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail.",
    "mail.changeNotice.subject": "Die E-Mail-Adresse Ihres Talkspace-Kontos wird geändert",
    "mail.changeNotice.body":
      "Jemand, der in Ihrem Talkspace-Konto angemeldet ist, möchte dessen E-Mail-Adresse in {email} ändern. Die Änderung wird wirksam, sobald der Link geöffnet wird, den wir an die neue Adresse gesendet haben.",
    "mail.changeNotice.advice":
      "Wenn Sie das waren, müssen Sie nichts weiter tun. Falls nicht, ändern Sie jetzt Ihr Passwort und informieren Sie Ihre Talkspace-Administration.",
    "mail.passwordChanged.subject": "Ihr Talkspace-Passwort wurde geändert",
    "mail.passwordChanged.body":
      "Das Passwort Ihres Talkspace-Kontos wurde soeben geändert, und Ihre anderen Geräte wurden abgemeldet.",
    "mail.passwordChanged.advice":
      "Wenn Sie das waren, müssen Sie nichts weiter tun. Falls nicht, setzen Sie Ihr Passwort sofort über die Anmeldeseite zurück und informieren Sie Ihre Talkspace-Administration.",
    "mail.signupAttempt.subject": "Jemand wollte mit Ihrer Adresse ein Talkspace-Konto erstellen",
    "mail.signupAttempt.body":
      "Jemand (vielleicht Sie) hat versucht, mit {email} ein neues Talkspace-Konto zu erstellen. Mit dieser Adresse besteht bereits ein Konto, daher wurde kein neues angelegt.",
    "mail.signupAttempt.signin":
      "Wenn Sie das waren, melden Sie sich unter {url} an – oder wählen Sie über den Link unten ein neues Passwort, falls Sie es vergessen haben.",
    "mail.signupAttempt.after":
      "Der Link funktioniert einmal und ist 30 Minuten lang gültig. Wenn Sie das nicht waren, ignorieren Sie diese E-Mail: An Ihrem Konto hat sich nichts geändert.",
    "mail.join.link": "Teilnehmen: {url}",
    "mail.join.meetingId": "Meeting-ID: {id}",
    "mail.join.passcode": "Kenncode: {passcode}",
    "mail.join.sip": "Einwahl über ein SIP-Raumsystem: {uri}",
    "mail.join.phone": "Telefonische Einwahl: {number} (Meeting-ID {id} #, Kenncode {passcode} #)",
    "mail.join.button": "Am Meeting teilnehmen",
    "mail.invite.subjectNew": "Einladung: {title} — {when}",
    "mail.invite.subjectUpdate": "Geänderte Einladung: {title} — {when}",
    "mail.invite.leadNew": "{host} ({email}) lädt Sie zu „{title}“ ein.",
    "mail.invite.leadUpdate": "{host} ({email}) hat „{title}“ geändert.",
    "mail.invite.when": "Wann: {when}",
    "mail.invite.length": "Dauer: {minutes, plural, one {# Minute} other {# Minuten}}",
    "mail.invite.repeats": "Wiederholung: {summary}",
    "mail.invite.accept": "Zusagen",
    "mail.invite.decline": "Absagen",
    "mail.cancel.subject": "Abgesagt: {title}",
    "mail.cancel.subjectWhen": "Abgesagt: {title} — {when}",
    "mail.cancel.removed": "{host} hat Sie von „{title}“ ausgeladen.",
    "mail.cancel.occurrence": "{host} hat „{title}“ am {when} abgesagt.",
    "mail.cancel.series": "{host} hat alle Termine der Serie „{title}“ abgesagt.",
    "mail.cancel.note": "Ihr Kalender entfernt den Termin, sobald Sie diese Nachricht öffnen.",
    "mail.reminder.startingNow": "Beginnt jetzt",
    "mail.reminder.inMinutes": "Beginnt in {count, plural, one {# Minute} other {# Minuten}}",
    "mail.reminder.inHours": "Beginnt in {count, plural, one {# Stunde} other {# Stunden}}",
    "mail.reminder.inDays": "Beginnt in {count, plural, one {# Tag} other {# Tagen}}",
    "mail.reminder.subject": "Erinnerung: {title}",
    "mail.reminder.why": "Sie erhalten diese E-Mail, weil Sie kein Gerät für Benachrichtigungen eingerichtet haben.",
    "mail.reminder.choose": "Unter {url} legen Sie fest, wann Sie erinnert werden.",
    "mail.reminder.chooseLink": "Festlegen, wann Sie erinnert werden",
    "mail.recordingReady.subject": "Ihre Aufzeichnung ist bereit: {title}",
    "mail.recordingReady.body":
      "Die Aufzeichnung von „{title}“ ist bereit. Sie können sie ansehen, herunterladen und teilen.",
    "mail.recordingReady.action": "Aufzeichnung öffnen",
    "mail.recordingReady.after":
      "Aufzeichnungen werden nach einiger Zeit automatisch gelöscht; wann, steht auf der Seite der Aufzeichnung.",
    "mail.recordingReady.push": "Tippen Sie hier, um sie anzusehen.",
    "mail.recordingFailed.subject": "Ihre Aufzeichnung konnte nicht erstellt werden: {title}",
    "mail.recordingFailed.body": "Ihre Aufzeichnung von „{title}“ konnte nicht erstellt werden: {reason}",
    "mail.recordingFailed.action": "Zur Aufzeichnung",
  },
  es: {
    "mail.greeting": "Hola, {name}:",
    "mail.signature": "— Talkspace",
    "mail.linkFallback": "Si el enlace no se abre, copia esta dirección en tu navegador:",
    "mail.verify.subject": "Confirma tu dirección de correo para Talkspace",
    "mail.verify.body":
      "¡Te damos la bienvenida a Talkspace! Confirma que {email} es tu dirección de correo, para que podamos enviarte invitaciones a reuniones y ayudarte si alguna vez olvidas tu contraseña.",
    "mail.verify.action": "Confirmar mi dirección de correo",
    "mail.verify.after":
      "El enlace funciona durante 24 horas. Si no creaste una cuenta de Talkspace, puedes ignorar este correo.",
    "mail.reset.subject": "Restablece tu contraseña de Talkspace",
    "mail.reset.body": "Alguien (esperamos que tú) pidió restablecer la contraseña de tu cuenta de Talkspace.",
    "mail.reset.action": "Elegir una contraseña nueva",
    "mail.reset.after":
      "El enlace funciona una sola vez, durante 30 minutos. Si no lo pediste, ignora este correo: tu contraseña no cambia.",
    "mail.changeEmail.subject": "Confirma tu nueva dirección de correo para Talkspace",
    "mail.changeEmail.body": "Pediste usar {email} para tu cuenta de Talkspace. Confirma que es tuya.",
    "mail.changeEmail.action": "Usar esta dirección de correo",
    "mail.changeEmail.after":
      "El enlace funciona durante 24 horas. Hasta que lo abras, tu cuenta conserva su dirección actual. Si no lo pediste, ignora este correo.",
    "mail.changeNotice.subject": "La dirección de correo de tu cuenta de Talkspace está a punto de cambiar",
    "mail.changeNotice.body":
      "Alguien con la sesión iniciada en tu cuenta de Talkspace pidió cambiar su dirección de correo a {email}. El cambio se hará cuando se abra el enlace que enviamos a la nueva dirección.",
    "mail.changeNotice.advice":
      "Si fuiste tú, no tienes que hacer nada más. Si no, cambia tu contraseña ahora y avisa a quien administra Talkspace.",
    "mail.passwordChanged.subject": "Se cambió tu contraseña de Talkspace",
    "mail.passwordChanged.body":
      "Se acaba de cambiar la contraseña de tu cuenta de Talkspace y se cerró la sesión en tus otros dispositivos.",
    "mail.passwordChanged.advice":
      "Si fuiste tú, no tienes que hacer nada más. Si no, restablece tu contraseña de inmediato desde la página de inicio de sesión y avisa a quien administra Talkspace.",
    "mail.signupAttempt.subject": "Alguien intentó crear una cuenta de Talkspace con tu dirección",
    "mail.signupAttempt.body":
      "Alguien (quizá tú) intentó crear una cuenta nueva de Talkspace con {email}. Ya tienes una cuenta con esta dirección, así que no se creó ninguna cuenta nueva.",
    "mail.signupAttempt.signin":
      "Si fuiste tú, inicia sesión en {url} o, si olvidaste tu contraseña, elige una nueva con el enlace de abajo.",
    "mail.signupAttempt.after":
      "El enlace funciona una sola vez, durante 30 minutos. Si no fuiste tú, ignora este correo: no ha cambiado nada en tu cuenta.",
    "mail.join.link": "Unirse: {url}",
    "mail.join.meetingId": "ID de la reunión: {id}",
    "mail.join.passcode": "Código de acceso: {passcode}",
    "mail.join.sip": "Llamar desde un sistema de sala SIP: {uri}",
    "mail.join.phone": "Llamar por teléfono: {number} (ID de la reunión {id} #, código de acceso {passcode} #)",
    "mail.join.button": "Unirse a la reunión",
    "mail.invite.subjectNew": "Invitación: {title} — {when}",
    "mail.invite.subjectUpdate": "Invitación actualizada: {title} — {when}",
    "mail.invite.leadNew": "{host} ({email}) te invita a «{title}».",
    "mail.invite.leadUpdate": "{host} ({email}) modificó «{title}».",
    "mail.invite.when": "Cuándo: {when}",
    "mail.invite.length": "Duración: {minutes, plural, one {# minuto} other {# minutos}}",
    "mail.invite.repeats": "Se repite: {summary}",
    "mail.invite.accept": "Aceptar",
    "mail.invite.decline": "Rechazar",
    "mail.cancel.subject": "Cancelada: {title}",
    "mail.cancel.subjectWhen": "Cancelada: {title} — {when}",
    "mail.cancel.removed": "{host} te quitó de «{title}».",
    "mail.cancel.occurrence": "{host} canceló la reunión «{title}» del {when}.",
    "mail.cancel.series": "{host} canceló todas las reuniones de la serie «{title}».",
    "mail.cancel.note": "Tu calendario la quitará cuando abras este mensaje.",
    "mail.reminder.startingNow": "Empieza ahora",
    "mail.reminder.inMinutes": "Empieza en {count, plural, one {# minuto} other {# minutos}}",
    "mail.reminder.inHours": "Empieza en {count, plural, one {# hora} other {# horas}}",
    "mail.reminder.inDays": "Empieza en {count, plural, one {# día} other {# días}}",
    "mail.reminder.subject": "Recordatorio: {title}",
    "mail.reminder.why": "Recibes este correo porque no tienes ningún dispositivo configurado para notificaciones.",
    "mail.reminder.choose": "Elige cuándo recibir recordatorios en {url}",
    "mail.reminder.chooseLink": "Elige cuándo recibir recordatorios",
    "mail.recordingReady.subject": "Tu grabación está lista: {title}",
    "mail.recordingReady.body": "La grabación de «{title}» está lista. Puedes verla, descargarla y compartirla.",
    "mail.recordingReady.action": "Abrir la grabación",
    "mail.recordingReady.after":
      "Las grabaciones se eliminan automáticamente pasado un tiempo; la página de la grabación dice cuándo.",
    "mail.recordingReady.push": "Toca para verla.",
    "mail.recordingFailed.subject": "No se ha podido hacer tu grabación: {title}",
    "mail.recordingFailed.body": "No se ha podido hacer tu grabación de «{title}»: {reason}",
    "mail.recordingFailed.action": "Ver la grabación",
  },
  ar: {
    "mail.greeting": "مرحبًا {name}،",
    "mail.signature": "— Talkspace",
    "mail.linkFallback": "إذا لم يُفتح الرابط، فانسخ هذا العنوان والصقه في متصفحك:",
    "mail.verify.subject": "أكّد عنوان بريدك الإلكتروني في Talkspace",
    "mail.verify.body":
      "مرحبًا بك في Talkspace! يُرجى تأكيد أن {email} هو عنوان بريدك الإلكتروني، حتى نتمكن من إرسال دعوات الاجتماعات إليك ومساعدتك إذا نسيت كلمة المرور يومًا ما.",
    "mail.verify.action": "تأكيد عنوان بريدي الإلكتروني",
    "mail.verify.after": "يعمل الرابط لمدة 24 ساعة. إذا لم تُنشئ حسابًا في Talkspace، فيمكنك تجاهل هذه الرسالة.",
    "mail.reset.subject": "إعادة تعيين كلمة مرور Talkspace",
    "mail.reset.body": "طلب شخص ما (نأمل أن تكون أنت) إعادة تعيين كلمة مرور حسابك في Talkspace.",
    "mail.reset.action": "اختيار كلمة مرور جديدة",
    "mail.reset.after":
      "يعمل الرابط مرة واحدة فقط خلال 30 دقيقة. إذا لم تطلب ذلك، فتجاهل هذه الرسالة: ستبقى كلمة مرورك كما هي.",
    "mail.changeEmail.subject": "أكّد عنوان بريدك الإلكتروني الجديد في Talkspace",
    "mail.changeEmail.body": "طلبتَ استخدام {email} لحسابك في Talkspace. يُرجى تأكيد أن هذا العنوان يخصك.",
    "mail.changeEmail.action": "استخدام عنوان البريد هذا",
    "mail.changeEmail.after":
      "يعمل الرابط لمدة 24 ساعة. وإلى أن تفتحه، يحتفظ حسابك بعنوانه الحالي. إذا لم تطلب ذلك، فتجاهل هذه الرسالة.",
    "mail.changeNotice.subject": "عنوان بريدك الإلكتروني في Talkspace على وشك التغيير",
    "mail.changeNotice.body":
      "طلب شخص مسجّل الدخول إلى حسابك في Talkspace تغيير عنوان البريد الإلكتروني للحساب إلى {email}. يتم التغيير بمجرد فتح الرابط الذي أرسلناه إلى العنوان الجديد.",
    "mail.changeNotice.advice":
      "إذا كنت أنت من طلب ذلك، فلا حاجة إلى أي إجراء آخر. وإن لم تكن أنت، فغيّر كلمة مرورك الآن وأبلغ مسؤول Talkspace لديك.",
    "mail.passwordChanged.subject": "تم تغيير كلمة مرور Talkspace الخاصة بك",
    "mail.passwordChanged.body": "تم للتو تغيير كلمة مرور حسابك في Talkspace، وتم تسجيل الخروج من أجهزتك الأخرى.",
    "mail.passwordChanged.advice":
      "إذا كنت أنت من فعل ذلك، فلا حاجة إلى أي إجراء آخر. وإن لم تكن أنت، فأعد تعيين كلمة مرورك فورًا من صفحة تسجيل الدخول وأبلغ مسؤول Talkspace لديك.",
    "mail.signupAttempt.subject": "حاول شخص ما إنشاء حساب في Talkspace باستخدام عنوانك",
    "mail.signupAttempt.body":
      "حاول شخص ما (ربما أنت) إنشاء حساب جديد في Talkspace باستخدام {email}. لديك حساب بهذا العنوان بالفعل، لذلك لم يُنشأ حساب جديد.",
    "mail.signupAttempt.signin":
      "إذا كنت أنت، فسجّل الدخول من {url}، أو اختر كلمة مرور جديدة من الرابط أدناه إذا كنت قد نسيتها.",
    "mail.signupAttempt.after":
      "يعمل الرابط مرة واحدة فقط خلال 30 دقيقة. إذا لم تكن أنت، فتجاهل هذه الرسالة: لم يتغير شيء في حسابك.",
    "mail.join.link": "الانضمام: {url}",
    "mail.join.meetingId": "معرّف الاجتماع: {id}",
    "mail.join.passcode": "رمز المرور: {passcode}",
    "mail.join.sip": "الاتصال من نظام قاعة SIP: {uri}",
    "mail.join.phone": "الاتصال عبر الهاتف: {number} (معرّف الاجتماع {id} #، رمز المرور {passcode} #)",
    "mail.join.button": "الانضمام إلى الاجتماع",
    "mail.invite.subjectNew": "دعوة: {title} — {when}",
    "mail.invite.subjectUpdate": "دعوة محدَّثة: {title} — {when}",
    "mail.invite.leadNew": "يدعوك {host} ({email}) إلى «{title}».",
    "mail.invite.leadUpdate": "عدّل {host} ({email}) الاجتماع «{title}».",
    "mail.invite.when": "الموعد: {when}",
    "mail.invite.length":
      "المدة: {minutes, plural, zero {# دقيقة} one {دقيقة واحدة} two {دقيقتان} few {# دقائق} many {# دقيقة} other {# دقيقة}}",
    "mail.invite.repeats": "التكرار: {summary}",
    "mail.invite.accept": "قبول",
    "mail.invite.decline": "رفض",
    "mail.cancel.subject": "أُلغي: {title}",
    "mail.cancel.subjectWhen": "أُلغي: {title} — {when}",
    "mail.cancel.removed": "أزالك {host} من «{title}».",
    "mail.cancel.occurrence": "ألغى {host} اجتماع «{title}» المقرر في {when}.",
    "mail.cancel.series": "ألغى {host} جميع اجتماعات سلسلة «{title}».",
    "mail.cancel.note": "سيحذفه تقويمك عند فتح هذه الرسالة.",
    "mail.reminder.startingNow": "يبدأ الآن",
    "mail.reminder.inMinutes":
      "{count, plural, zero {يبدأ الآن} one {يبدأ بعد دقيقة واحدة} two {يبدأ بعد دقيقتين} few {يبدأ بعد # دقائق} many {يبدأ بعد # دقيقة} other {يبدأ بعد # دقيقة}}",
    "mail.reminder.inHours":
      "{count, plural, zero {يبدأ الآن} one {يبدأ بعد ساعة واحدة} two {يبدأ بعد ساعتين} few {يبدأ بعد # ساعات} many {يبدأ بعد # ساعة} other {يبدأ بعد # ساعة}}",
    "mail.reminder.inDays":
      "{count, plural, zero {يبدأ اليوم} one {يبدأ بعد يوم واحد} two {يبدأ بعد يومين} few {يبدأ بعد # أيام} many {يبدأ بعد # يومًا} other {يبدأ بعد # يوم}}",
    "mail.reminder.subject": "تذكير: {title}",
    "mail.reminder.why": "تصلك هذه الرسالة لأنه ليس لديك جهاز مُعدّ لتلقي الإشعارات.",
    "mail.reminder.choose": "اختر متى يصلك التذكير من {url}",
    "mail.reminder.chooseLink": "اختر متى يصلك التذكير",
    "mail.recordingReady.subject": "تسجيلك جاهز: {title}",
    "mail.recordingReady.body": "تسجيل «{title}» جاهز. يمكنك مشاهدته وتنزيله ومشاركته.",
    "mail.recordingReady.action": "فتح التسجيل",
    "mail.recordingReady.after": "تُحذف التسجيلات تلقائيًا بعد مدة؛ وصفحة التسجيل تذكر متى.",
    "mail.recordingReady.push": "اضغط لمشاهدته.",
    "mail.recordingFailed.subject": "تعذّر إنشاء تسجيلك: {title}",
    "mail.recordingFailed.body": "تعذّر إنشاء تسجيلك لـ«{title}»: {reason}",
    "mail.recordingFailed.action": "عرض التسجيل",
  },
});
