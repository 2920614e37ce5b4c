"""Word lists for the offline extractor: small, English, lower-case.

Kept apart from the rules so that a reader can review the vocabulary without reading regexes, and
so that tuning a list never touches the matching logic. Every lookup casefolds first.
"""

from __future__ import annotations


def wordset(text: str) -> frozenset[str]:
    """A frozen set of the whitespace-separated words of ``text`` (keeps the lists below readable)."""
    return frozenset(text.split())


def phrases(text: str) -> tuple[str, ...]:
    """The "|"-separated phrases of ``text``, in order (some are several words)."""
    return tuple(text.split("|"))


FIRST_PERSON = wordset("i me myself we us ourselves")
FIRST_PERSON_PLURAL = wordset("we us ourselves")

#: Words that can never name an entity on their own: an object made only of these is dropped
#: ("I'll take it", "finished that", "love this").
PRONOUNS = wordset(
    """
    it its it's itself this that these those he him his she her hers they them their theirs you your
    yours u ya i me my mine we us our ours myself yourself himself herself itself ourselves yourselves
    themselves someone somebody anyone anybody everyone everybody no-one
    nobody something anything everything nothing one ones stuff things thing all both each either
    neither none lot lots bit whatever whichever whoever what which who whom whose there here
    """
)

#: Stripped from the front of a noun phrase: "the new landing page" -> "new landing page".
DETERMINERS = wordset(
    """
    the a an my our your his her their its this that these those some any all both every each whole
    entire another other said such
    """
)

#: Words that are capitalised at the start of a sentence but are not names. A capitalised token
#: outside this list, in a person slot, is read as a name ("Bob", "Priya", "Jean-Luc").
NOT_NAMES = (
    PRONOUNS
    | DETERMINERS
    | wordset(
        """
    and or but so because since as if unless then than though although while when where why how
    whether yet also too just still already really actually basically honestly anyway anyways
    btw fyi ps re fwd ok okay k kk yes yeah yep yup no nope nah sure alright right well oh ah hey
    hi hello thanks thank cheers great cool nice awesome perfect good bad fine lol haha hmm wow
    yay please sorry update note today tomorrow tonight yesterday now later soon morning evening
    afternoon night week weekend month year monday tuesday wednesday thursday friday saturday sunday
    january february march april may june july august september october november december
    maybe perhaps probably definitely certainly apparently luckily unfortunately fortunately
    finally first second next last new old team everyone folks guys all both lately recently currently
    honestly hopefully luckily sadly seriously literally obviously personally generally usually eventually
    clearly
    finished done completed shipped wrapped reviewed started working will would should could can
    might must shall do does did is are am was were be been being have has had get got
    let lets let's think guess said says told heard know knew see saw looks seems sounds
    love like hate prefer moved live lives living work works manage manages report reports
    in on at for to from with by of about after before during into over under up down out off
    """
    )
)

#: Leading words dropped from a clause before matching: "Great, finished the draft" is read as
#: "finished the draft", so rules without a subject still see the verb at the start.
DISCOURSE_MARKERS = (
    "by the way", "quick update", "good news", "heads up", "no worries", "no problem", "sounds good",
    "got it", "thank you", "all right", "just fyi", "ok so", "okay so",
    "ok", "okay", "k", "so", "yeah", "yes", "yep", "yup", "well", "btw", "fyi", "update", "also", "oh",
    "hey", "hi", "hello", "great", "cool", "nice", "awesome", "alright", "sure", "anyway", "anyways",
    "and", "but", "then", "plus", "actually", "honestly", "basically", "lol", "haha", "ps", "note",
    "np", "thanks", "perfect", "noted", "ack", "yay", "woohoo", "good", "right", "fine", "agreed",
    "absolutely", "definitely", "fwiw", "tbh", "imo", "welp", "hmm", "um", "uh", "wow",
)  # fmt: skip

#: Negation anywhere between a clause's start and its object cancels the relation
#: ("I don't work at Acme", "I'm not sure Bob works at Acme").
NEGATIONS = wordset("not never neither nor nobody none cannot")
#: Anywhere in the clause, these say the state has ended ("I don't work at Acme anymore").
ENDED = phrases("anymore|any more|no longer|used to|formerly|previously|back then")

#: Irrealis: the speaker states a wish, a plan, a possibility or a condition, not a fact.
IRREALIS = wordset(
    """
    should could might would may wish wishes wished hope hopes hoping want wants wanted wanna
    plan plans planning considering thinking wondering if unless whether suppose supposing imagine
    dream dreaming tempted ought
    """
)
#: Hedges keep the relation at a lower confidence ("I think Bob works at Acme").
HEDGES = wordset(
    "think guess believe maybe perhaps probably possibly apparently supposedly reckon can presumably"
)

#: A sentence starting with one of these is a question even without "?" ("what time is the standup").
WH_WORDS = wordset("who whom whose what which when where why how")
#: ... and so is one starting with an auxiliary followed by a subject ("should I take X").
QUESTION_AUX = wordset(
    "do does did is are am was were can could should would will shall may might have has had must"
)
QUESTION_SUBJECTS = wordset(
    """
    i you u we they he she it there this that the a an anyone anybody someone somebody everyone
    everybody anything something our my your their his her ya y'all
    """
)
QUESTION_OPENERS = phrases(
    "i wonder|wondering|do you know|does anyone know|any idea|anyone know|quick question"
)

#: Role nouns: an "I'm a/an X" phrase is a HAS_ROLE only if X ends in one of these (or "head of X").
ROLE_HEADS = wordset(
    """
    designer engineer developer dev programmer coder manager lead director president officer ceo cto cfo
    coo cmo cpo ciso vp svp evp founder co-founder cofounder intern analyst scientist researcher
    consultant architect writer copywriter editor teacher professor lecturer nurse doctor physician
    surgeon dentist lawyer attorney paralegal accountant marketer recruiter administrator admin
    assistant associate specialist coordinator strategist producer pm po tpm em qa tester sre devops
    technician mechanic electrician plumber chef cook baker barista waiter waitress bartender cashier
    student freelancer contractor photographer illustrator artist musician journalist reporter
    pharmacist therapist counselor counsellor psychologist pilot driver agent representative rep
    salesperson executive head chair chairman chairwoman chairperson principal supervisor operator
    advisor adviser mentor coach trainer instructor tutor librarian secretary clerk receptionist
    master owner partner maintainer contributor committer steward officer economist statistician
    veterinarian vet paramedic firefighter carpenter gardener farmer tailor animator translator
    ux ui pmm cso ic staffer apprentice trainee resident fellow postdoc phd
    """
)

#: "my manager is Alice", "Alice is my boss" -> the speaker REPORTS_TO Alice.
MANAGER_WORDS = phrases("line manager|direct manager|team lead|tech lead|manager|boss|supervisor|lead")
#: "Bob is my colleague", "my teammate Bob" -> WORKS_WITH.
COLLEAGUE_WORDS = phrases(
    "co-worker|coworker|colleague|teammate|team mate|workmate|collaborator|co-founder|cofounder|peer|pair"
    "|counterpart|partner in crime"
)
#: "my friend Sam", "Sam is a good friend" -> FRIEND_OF.
FRIEND_WORDS = phrases("best friend|good friend|close friend|old friend|friend|buddy|pal|bff|mate")
#: "my sister Jane" -> FAMILY_OF (the kin word goes into the fact).
FAMILY_WORDS = phrases(
    "grandmother|grandfather|grandma|grandpa|granddaughter|grandson|stepmother|stepfather|stepsister"
    "|stepbrother|half-sister|half-brother|mother-in-law|father-in-law|sister-in-law|brother-in-law|mother"
    "|father|mom|mum|dad|sister|brother|sibling|wife|husband|spouse|fiancée|fiancee|fiancé|fiance"
    "|girlfriend|boyfriend|son|daughter|cousin|aunt|uncle|niece|nephew|kid|child|parent"
)
#: Plural forms for "S and P are siblings/cousins/married".
FAMILY_PLURALS = phrases("siblings|cousins|twins|married|sisters|brothers|related|engaged")

#: A capitalised name ending in one of these is an organisation, never a person ("Acme Corp").
ORG_SUFFIXES = wordset(
    """
    inc inc. corp corp. ltd ltd. llc gmbh ag sa plc co co. company labs lab group technologies systems bank
    university institute foundation agency studio studios partners ventures capital media games
    """
)
#: Before a run of names, these make the first name an object ("... at Acme and I live ..."), not
#: part of the subject.
OBJECT_MARKERS = wordset("at for with to from in on by of about into like than as the a an my our your")

#: A noun phrase ending in one of these is a group a person is a member of, not an employer.
GROUP_HEADS = wordset(
    """
    team squad group department dept committee club guild board council crew org unit division chapter
    tribe band choir league society association union community circle pod taskforce task-force
    working-group cohort staff faculty
    """
)

#: Status words for HAS_STATUS, longest first, mapped to one spelling so that "finished" and
#: "complete" close and match the same way.
STATUSES: dict[str, str] = {
    "ready for review": "ready for review", "up for review": "in review", "under review": "in review",
    "being reviewed": "in review", "in code review": "in review", "in review": "in review",
    "in progress": "in progress", "under way": "in progress", "underway": "in progress",
    "ongoing": "in progress", "wip": "in progress", "work in progress": "in progress",
    "in testing": "in testing", "in qa": "in testing", "on hold": "on hold", "paused": "on hold",
    "behind schedule": "delayed", "on track": "on track", "at risk": "at risk",
    "not started": "not started", "to do": "to do", "todo": "to do", "signed off": "approved",
    "all done": "done", "done": "done", "finished": "done", "complete": "done", "completed": "done",
    "blocked": "blocked", "stuck": "blocked", "shipped": "shipped", "live": "live", "released": "released",
    "launched": "launched", "deployed": "deployed", "merged": "merged", "approved": "approved",
    "ready": "ready", "pending": "pending", "delayed": "delayed", "late": "delayed", "overdue": "overdue",
    "cancelled": "cancelled", "canceled": "cancelled", "scrapped": "cancelled", "drafted": "drafted",
    "in draft": "drafted", "published": "published", "outdated": "outdated", "broken": "broken",
    "fixed": "fixed", "resolved": "resolved", "closed": "closed", "open": "open", "started": "in progress",
}  # fmt: skip

#: Objects that follow a task verb but are not tasks ("I'll take a look", "take a break").
NOT_TASKS = wordset(
    """
    look peek glance break breather rest nap walk shower seat chance minute moment second sec day days
    week weeks vacation holiday leave time picture photo photos pic pics bus train cab taxi
    uber flight stairs elevator lift call calls turn turns care best job jobs mistake sure progress sense
    lunch dinner breakfast coffee shot stab risk hit hint guess deep breath board way track fire schedule site
    mute duty shift pto sick work home school question idea problem meeting cold headache point word
    kids kid children child family friends friend parents dog dogs cat cats pup puppy pet pets lookout
    fence edge road verge mend hook air same ok okay great good fine well thanks thank deal part bit hunt
    court path rise brink move better more less
    """
)
#: ... nor, after "working on" or "busy with", a project.
NOT_PROJECTS = wordset(
    """
    work family life home school kids children friends myself ourselves health stuff things it
    """
)

#: Words for a workplace that is not a name ("I'm at the office"); never an ORGANIZATION or PLACE.
NOT_PLACES = wordset(
    """
    office home work school bed town city country house flat apartment place hospital gym meeting call
    standup stand-up line queue car train bus moment middle mood way process loop area region
    """
)

#: Times of day and relative days: never an organisation or a place ("I work at night").
TIME_WORDS = wordset(
    "today tomorrow tonight yesterday now later soon asap eod eow morning afternoon evening weekend"
)
