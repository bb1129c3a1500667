// The telephony area's messages (keys "telephony.…"): what the phone menu says to callers, spoken by
// the gateway (gateway/ivr/prompts.ts synthesizes each language with its espeak-ng voice). Written
// for the ear: short sentences, the keys as phone menus name them (pound key, Raute-Taste,
// almohadilla, علامة المربع), no placeholders. The Arabic has vowel marks on the words espeak-ng
// misreads without them (it guesses the vowels of unmarked Arabic), and only there. German speaks
// formally (Sie), Spanish informally (tú), as the other areas do.

import { defineArea } from "../area.ts";

export const telephony = defineArea({
  "telephony.welcome": "Welcome to Talkspace. Please enter your meeting ID followed by the pound key.",
  "telephony.passcode": "Please enter the meeting passcode followed by the pound key.",
  "telephony.notFound": "Sorry, that meeting ID was not found.",
  "telephony.wrongPasscode": "Sorry, that passcode is not correct.",
  "telephony.lobby": "Please wait, the host will let you in soon.",
  "telephony.ended": "The meeting has ended. Goodbye.",
  "telephony.locked": "Sorry, this meeting cannot be joined by phone right now. Goodbye.",
  /** Before a try the web app asked to wait for (too many wrong passcodes from this address). */
  "telephony.pleaseWait": "Please wait.",
  /** After the last of the three tries. */
  "telephony.goodbye": "Sorry, that did not work. Goodbye.",
  /** To callers in the meeting when recording starts, and to a caller entering while it runs. */
  "telephony.recordingOn": "This meeting is being recorded.",
  /** To callers in the meeting when recording stops. */
  "telephony.recordingOff": "Recording has stopped.",
}, {
  de: {
    "telephony.welcome":
      "Willkommen bei Talkspace. Bitte geben Sie die Meeting-ID ein und drücken Sie dann die Raute-Taste.",
    "telephony.passcode": "Bitte geben Sie den Kenncode des Meetings ein und drücken Sie dann die Raute-Taste.",
    "telephony.notFound": "Diese Meeting-ID wurde leider nicht gefunden.",
    "telephony.wrongPasscode": "Dieser Kenncode ist leider nicht richtig.",
    "telephony.lobby": "Bitte warten Sie, der Host lässt Sie gleich herein.",
    "telephony.ended": "Das Meeting ist beendet. Auf Wiederhören.",
    "telephony.locked": "Diesem Meeting kann gerade leider niemand per Telefon beitreten. Auf Wiederhören.",
    "telephony.pleaseWait": "Bitte warten Sie.",
    "telephony.goodbye": "Das hat leider nicht geklappt. Auf Wiederhören.",
    "telephony.recordingOn": "Dieses Meeting wird aufgezeichnet.",
    "telephony.recordingOff": "Die Aufzeichnung wurde beendet.",
  },
  es: {
    "telephony.welcome":
      "Te damos la bienvenida a Talkspace. Introduce el número de la reunión y, a continuación, pulsa la tecla almohadilla.",
    "telephony.passcode": "Introduce el código de acceso de la reunión y, a continuación, pulsa la tecla almohadilla.",
    "telephony.notFound": "Lo sentimos, no hemos encontrado ninguna reunión con ese número.",
    "telephony.wrongPasscode": "Lo sentimos, ese código de acceso no es correcto.",
    "telephony.lobby": "Espera un momento, el anfitrión te dejará entrar enseguida.",
    "telephony.ended": "La reunión ha terminado. Adiós.",
    "telephony.locked": "Lo sentimos, ahora mismo no es posible unirse a esta reunión por teléfono. Adiós.",
    "telephony.pleaseWait": "Espera un momento, por favor.",
    "telephony.goodbye": "Lo sentimos, no ha funcionado. Adiós.",
    "telephony.recordingOn": "Esta reunión se está grabando.",
    "telephony.recordingOff": "La grabación se ha detenido.",
  },
  ar: {
    "telephony.welcome": "مَرْحَبًا بِكُمْ فِي Talkspace. يُرْجَى إِدْخَالُ رَقْمِ الاجتماع، مَتْبُوعًا بِعَلَامَةِ المُرَبَّعِ.",
    "telephony.passcode": "يُرْجَى إِدْخَالُ رَمْزِ مُرُورِ الاجتماع، مَتْبُوعًا بِعَلَامَةِ المُرَبَّعِ.",
    "telephony.notFound": "عُذْرًا، لَمْ نَجِدْ اجْتِمَاعًا بِهَذَا الرقم.",
    "telephony.wrongPasscode": "عُذْرًا، رَمْزُ المُرُورِ هَذَا غَيْرُ صَحِيحٍ.",
    "telephony.lobby": "يُرْجَى الانتظار، سَوْفَ يَسْمَحُ لَكَ المُضِيفُ بالدخول قَرِيبًا.",
    "telephony.ended": "انتهى الاجتماع. مع السلامة.",
    "telephony.locked": "عُذْرًا، لَا يُمْكِنُ الانضمام إِلَى هَذَا الاجتماع عَبْرَ الهَاتِفِ الآنَ. مع السلامة.",
    "telephony.pleaseWait": "يُرْجَى الانتظار.",
    "telephony.goodbye": "عُذْرًا، لَمْ تَنْجَحِ المُحَاوَلَةُ. مع السلامة.",
    "telephony.recordingOn": "يَتِمُّ تَسْجِيلُ هَذَا الاجتماع.",
    "telephony.recordingOff": "تَوَقَّفَ التَّسْجِيلُ.",
  },
});
