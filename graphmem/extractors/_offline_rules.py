"""The rule table of the offline extractor, one block per relation type.

Order is priority: within a clause, a match that overlaps an earlier rule's match is skipped, so
specific phrasings ("my manager is Alice", "I'm done with X") come before general ones ("X is
done"). Confidence: 0.9 for explicit statements, 0.8 for common but looser phrasings, 0.6-0.75 for
readings that can be wrong (an appositive, "I'm on X", "Bob to draft X"). Each rule is two lines:
the template (see ``_offline_patterns``), then what it states and how.
"""

from __future__ import annotations

from graphmem.extractors._offline_lexicon import (
    COLLEAGUE_WORDS,
    FAMILY_PLURALS,
    FAMILY_WORDS,
    FRIEND_WORDS,
    MANAGER_WORDS,
)
from graphmem.extractors._offline_patterns import ANY, COMMIT, EVENT, ONGOING, PLAN, STATE, Rule, rule


def _alt(words: tuple[str, ...]) -> str:
    return "(?:" + "|".join(w.replace(" ", r"\s+") for w in sorted(words, key=len, reverse=True)) + ")"


_MANAGER = _alt(MANAGER_WORDS)
_COLLEAGUE = _alt(COLLEAGUE_WORDS) + "s?"
_FRIEND = _alt(FRIEND_WORDS)
_KIN = "(?P<kin>" + _alt(FAMILY_WORDS) + ")"
_KINS = "(?P<kins>" + _alt(FAMILY_PLURALS) + ")"
_NOW = frozenset({"present", "progressive", "future"})
_GROUPS = ("team", "group", "department", "squad", "unit", "division", "org")
#: Taking on a task, in any tense: "I'll take", "I took", "I'm handling".
_TAKE = "<take_grab_handle_cover_tackle_claim>"
#: Doing a task: a plan or commitment now or later; in the past these are COMPLETED or CREATED.
_DO = (
    "<draft_prepare_fix_implement_organize_organise_coordinate_schedule_finish_complete_deploy_ship_send"
    "_redo_refactor_migrate_research_investigate_translate_write_polish_submit_deliver>"
)
#: ... and verbs of doing that are also everyday verbs ("I'm doing great", "I've been running
#: farther"): a task only with a determiner ("I'll do the screenshots", "I'll run the retro").
_DO_THE = "<do_run_sort_test_present_update_book_edit_handle>"
_THE = "(?=(?:the|a|an|my|our|this|that|these|those) )"
_DONE = (
    "<finish_complete_ship_deliver_submit_close_merge_fix_resolve_publish_launch_deploy_send_do_nail"
    "_wrap_finalize_finalise_test_migrate_update_release_present_file>"
)
_MADE = "<create_write_build_design_draw_draft_author_develop_paint_compose_code_prototype_sketch_invent>"
_BUILDING = "<build_develop_design_create_code_prototype_redesign_revamp_rebuild_architect_plan>"
_PASSIVE_DONE = "(?:completed|finished|done|shipped|delivered|fixed|merged|closed|resolved|submitted)"
_PASSIVE_MADE = (
    "(?:created|written|built|designed|drawn|drafted|founded|authored|developed|made|started|set up)"
)
_STATUS_ADVERBS = "(?:now |still |finally |officially |already |currently |basically |totally |fully |just )*"
_READY = "(?:done|finished|ready|shipped|delivered|submitted|completed|live|out|in|merged|sent)"
_MUST = "(?:needs to|has to|must|should|is supposed to|is going to|will|have to|need to)"
_PARTS = (
    "(?:part|piece|component|subtask|sub-task|phase|module|section|chunk|element|milestone|workstream"
    "|deliverable)"
)

# fmt: off
RULES: tuple[Rule, ...] = (
    # ---- REPORTS_TO (before HAS_ROLE: "Alice is my manager" is not a role of Alice's) -----------
    rule(f"my {_MANAGER} <be> {{person}}",
         "speaker REPORTS_TO person", conf=0.9, tenses=STATE),
    rule(f"{{who}} <be> my (?:direct |line )?{_MANAGER}",
         "speaker REPORTS_TO who", conf=0.9, tenses=STATE),
    rule("{who} <report> (?:directly )?(?:in)?to {person}",
         "who REPORTS_TO person", conf=0.9, tenses=ONGOING),
    rule("{who} <be> (?:now )?(?:managed|supervised) by {person}",
         "who REPORTS_TO person", conf=0.85, tenses=STATE),
    rule("{who} <work> (?:directly )?(?:for|under) {knownperson}",
         "who REPORTS_TO knownperson", conf=0.8, tenses=STATE),
    rule("{who} <be> my direct reports?",
         "who REPORTS_TO speaker", conf=0.9, tenses=STATE),
    rule("my (?:direct )?reports (?:are|include) {person}",
         "person REPORTS_TO speaker", conf=0.85),
    rule(f"my {_MANAGER},? {{person}}",
         "speaker REPORTS_TO person", conf=0.7),
    # ---- FAMILY_OF, FRIEND_OF, WORKS_WITH by kinship nouns ("my sister Jane", "Bob is my colleague")
    rule(f"my {_KIN}(?:'s name is|,? (?:is )?(?:called|named))?,? {{person}}",
         "speaker FAMILY_OF person", conf=0.85),
    rule(f"{{who}} <be> my {_KIN}",
         "speaker FAMILY_OF who", conf=0.9, tenses=STATE),
    rule(f"{{who}} <be> {{person}}'s {_KIN}",
         "person FAMILY_OF who", conf=0.85, tenses=STATE),
    rule(f"{{who}} <be> {_KINS}",
         "who FAMILY_OF who", conf=0.85, tenses=STATE),
    rule("{who} <be> (?P<kins>married) to {person}",
         "who FAMILY_OF person", conf=0.9, tenses=STATE),
    rule(f"I <have> an? {_KIN} (?:named|called) {{person}}",
         "speaker FAMILY_OF person", conf=0.85),
    rule(f"{{who}} <be> (?:a |my )?{_FRIEND}(?: of mine)?",
         "speaker FRIEND_OF who", conf=0.85, tenses=STATE),
    rule(f"my {_FRIEND},? {{person}}",
         "speaker FRIEND_OF person", conf=0.8),
    rule("{who} <be> (?:good |best |close |old )?friends with {person}",
         "who FRIEND_OF person", conf=0.9, tenses=STATE),
    rule("{who} <be> (?:good |best |close |old )?friends",
         "who FRIEND_OF who", conf=0.85, tenses=STATE),
    rule("{who} <befriend> {person}",
         "who FRIEND_OF person", conf=0.8, tenses=EVENT),
    rule("{who} <become> friends with {person}",
         "who FRIEND_OF person", conf=0.85, tenses=EVENT),
    rule(f"{{who}} <be> my {_COLLEAGUE}",
         "speaker WORKS_WITH who", conf=0.9, tenses=STATE),
    rule(f"my {_COLLEAGUE},? {{person}}",
         "speaker WORKS_WITH person", conf=0.75),
    # ---- WORKS_WITH -----------------------------------------------------------------------------
    rule("{who} <work> (?:closely |directly )?(?:together )?(?:with|alongside) {person}(?: on {project})?",
         "who WORKS_WITH person", "who WORKS_ON project", "person WORKS_ON project", conf=0.9,
         tenses=ONGOING),
    rule("{who} <collaborate_pair_partner_team> (?:up )?with {person}(?: on {project})?",
         "who WORKS_WITH person", "who WORKS_ON project", "person WORKS_ON project", conf=0.85,
         tenses=ONGOING | EVENT),
    rule("{who} <work_collaborate> (?:closely )?together(?: on {project})?",
         "who WORKS_WITH who", "who WORKS_ON project", conf=0.9, tenses=ONGOING),
    rule("{who} <be> (?:colleagues|co-?workers|teammates|team mates|workmates|on the same team"
         "|in the same team)",
         "who WORKS_WITH who", conf=0.9, tenses=STATE),
    # ---- MANAGES (a person as the object becomes REPORTS_TO, see offline.py) ---------------------
    rule("{who} <be> (?:the )?(?:manager|head|lead|leader|director) (?:of|for) {managed}",
         "who MANAGES managed", conf=0.8, tenses=STATE, keys=_GROUPS),
    rule("{who} <manage_lead_oversee_supervise_direct> {managed}",
         "who MANAGES managed", conf=0.9, tenses=ONGOING),
    rule("{who} <head> up {managed}",
         "who MANAGES managed", conf=0.85, tenses=ONGOING),
    rule("{who} <run> {group}",
         "who MANAGES group", conf=0.75, tenses=STATE),
    rule("{who} <be> in charge of {managed}",
         "who MANAGES managed", conf=0.85, tenses=STATE, keys=_GROUPS),
    rule("{managed} <be> (?:managed|led|run|headed|overseen|supervised) by {person}",
         "person MANAGES managed", conf=0.85, tenses=STATE),
    # ---- role nouns that state a relation, before HAS_ROLE reads "the lead" as a role -------------
    rule("{who} <be> the (?:owner|proud owner) of {thing}",
         "who OWNS thing", conf=0.85, tenses=STATE),
    rule("{who} <be> the (?:author|creator|inventor|original author) of {thing}",
         "who CREATED thing", conf=0.85, tenses=STATE | EVENT),
    rule("{who} <be> (?:the )?(?:lead|owner|point person|dri|poc|go-to person) (?:on|for) {task}",
         "who RESPONSIBLE_FOR task", conf=0.8, tenses=ONGOING),
    # ---- HAS_ROLE and WORKS_AT ------------------------------------------------------------------
    rule("{who} <be> {a}{role} (?:at|for|with) {org}",
         "who HAS_ROLE role", "who WORKS_AT org", conf=0.9, tenses=STATE),
    rule("{who} <be> {a}{role} of {firm}",
         "who HAS_ROLE role", "who WORKS_AT firm", conf=0.85, tenses=STATE),
    rule("{who} <work> (?:full-time |part-time )?(?:at|for) {org}(?: as {a}{title})?",
         "who WORKS_AT org", "who HAS_ROLE title", conf=0.9, tenses=STATE),
    rule("{who} <work> as {a}{title}(?: (?:at|for) {org})?",
         "who HAS_ROLE title", "who WORKS_AT org", conf=0.85, tenses=STATE),
    rule("{who} <be> (?:employed|hired) (?:at|by) {org}",
         "who WORKS_AT org", conf=0.9, tenses=STATE | EVENT),
    rule("{who} <get> (?:a job|hired|a position|a role) (?:at|with|by) {org}",
         "who WORKS_AT org", conf=0.8, tenses=EVENT),
    rule("{who} <start> (?:a new job |working )?at {org}",
         "who WORKS_AT org", conf=0.8, tenses=EVENT),
    rule("{who} <join> {group}",
         "who MEMBER_OF group", conf=0.8, tenses=EVENT | STATE),
    rule("{who} <join> {org}(?: as {a}{title})?",
         "who WORKS_AT org", "who HAS_ROLE title", conf=0.75, tenses=EVENT),
    rule("my (?:employer|company) <be> {org}",
         "speaker WORKS_AT org", conf=0.85, tenses=STATE),
    rule("{org} <hire> {person}",
         "person WORKS_AT org", conf=0.75, tenses=EVENT),
    rule("my (?:job title|role|title|position|job) <be> {a}{title}",
         "speaker HAS_ROLE title", conf=0.9, tenses=STATE),
    rule("{who} <be> (?:now |recently )?promoted to {a}{title}",
         "who HAS_ROLE title", conf=0.85, tenses=STATE | EVENT),
    rule("{who} <become> {a}{role}",
         "who HAS_ROLE role", conf=0.8, tenses=EVENT),
    rule("{who} <be> {a}{role}",
         "who HAS_ROLE role", conf=0.8, tenses=STATE),
    # ---- MEMBER_OF ------------------------------------------------------------------------------
    rule("{who} <be> (?:a |an )?(?:member|part) of {group}",
         "who MEMBER_OF group", conf=0.9, tenses=STATE),
    rule("{who} <be> (?:a |an )?member of {org}",
         "who MEMBER_OF org", conf=0.85, tenses=STATE),
    rule("{who} <be> (?:on|in) {group}",
         "who MEMBER_OF group", conf=0.85, tenses=STATE, joint=True),  # on one team: they work together
    rule("{who} <belong> to {group}",
         "who MEMBER_OF group", conf=0.8, tenses=STATE),
    rule("{who} <be> (?:a )?part of {project}",
         "who WORKS_ON project", conf=0.7, tenses=STATE),
    # ---- DECIDED (before USES, which "decided to use X" also states) ------------------------------
    rule("{who} <decide_agree_vote_opt> (?:to|on|for|that(?: we| I)?(?: will| would| should| are going to)?) "
         "{decision}",
         "who DECIDED decision", conf=0.85, tenses=EVENT, joint=True),
    rule("{who} <make> (?:the|a|our) (?:final )?decision to {decision}",
         "who DECIDED decision", conf=0.85, tenses=EVENT, joint=True),
    rule("{who} <settle> on {decision}",
         "who DECIDED decision", conf=0.85, tenses=EVENT, joint=True),
    rule("{who} <choose_pick_select> {decision}",
         "who DECIDED decision", conf=0.75, tenses=EVENT, joint=True),
    rule("{who} <go> with {decision}",
         "who DECIDED decision", conf=0.75, tenses=EVENT | {"future", "progressive"}, joint=True),
    rule("(?:the|our) decision <be> (?:to|that we will|that we) {decision}",
         "speaker DECIDED decision", conf=0.75),
    # ---- RESPONSIBLE_FOR ------------------------------------------------------------------------
    rule("{item} <be> (?:all )?on {person}",
         "person RESPONSIBLE_FOR item", conf=0.85, tenses=ONGOING),
    rule("{item} <be> (?:all )?mine",
         "speaker RESPONSIBLE_FOR item", conf=0.7, tenses=ONGOING),
    rule("{item} <be> assigned to {person}",
         "person RESPONSIBLE_FOR item", conf=0.85, tenses=ANY),
    rule("<assign_delegate_reassign> {task} to {person}",
         "person RESPONSIBLE_FOR task", conf=0.85, tenses=ANY, tails=True),
    rule("<hand_pass> (?:off |over )?{task} (?:over |off )?to {person}",
         "person RESPONSIBLE_FOR task", conf=0.7, tenses=ANY),
    rule("{who} <be> assigned (?:to )?{task}",
         "who RESPONSIBLE_FOR task", conf=0.8, tenses=ANY, tails=True),
    rule("{who} <be> (?:responsible|accountable) for {task}",
         "who RESPONSIBLE_FOR task", conf=0.9, tenses=ONGOING, tails=True),
    rule("{who} <be> in charge of {task}",
         "who RESPONSIBLE_FOR task", conf=0.85, tenses=ONGOING, tails=True),
    rule("let me <take_handle_grab_do_draft_write_own_cover_tackle_fix> {task}",
         "speaker RESPONSIBLE_FOR task", conf=0.85, tails=True),
    rule("leave {task} (?:to|with) me",
         "speaker RESPONSIBLE_FOR task", conf=0.8),
    rule("{who?} <take> (?:care of|over|on|ownership of|charge of|the lead on) {task}",
         "who RESPONSIBLE_FOR task", conf=0.85, tenses=COMMIT, joint=True, tails=True),
    rule("{who?} <look> after {task}",
         "who RESPONSIBLE_FOR task", conf=0.8, tenses=PLAN, joint=True, tails=True),
    rule("{who?} <deal> with {task}",
         "who RESPONSIBLE_FOR task", conf=0.75, tenses=PLAN, joint=True, tails=True),
    rule("{who?} <pick> up {task}",
         "who RESPONSIBLE_FOR task", conf=0.85, tenses=COMMIT, joint=True, tails=True),
    rule("{who?} <sort_figure_work> out {task}",
         "who RESPONSIBLE_FOR task", conf=0.75, tenses=PLAN, joint=True, tails=True),
    rule("{who?} <take> a (?:stab|crack|shot) at {task}",
         "who RESPONSIBLE_FOR task", conf=0.7, tenses=PLAN, joint=True, tails=True),
    rule("{who?} <look> into {task}",
         "who RESPONSIBLE_FOR task", conf=0.7, tenses=PLAN, joint=True, tails=True),
    rule("{who} <have> got (?=the |this |that ){task}",
         "who RESPONSIBLE_FOR task", conf=0.6, tenses=STATE),
    rule("{who} to <take_handle_grab_do_draft_write_own_cover_tackle_fix_prepare_send_review> {task}",
         "who RESPONSIBLE_FOR task", conf=0.65, tails=True),
    rule(f"{{who?}} {_TAKE} {{task}}",  # not the simple past: "I took my kids to the park"
         "who RESPONSIBLE_FOR task", conf=0.9, tenses=PLAN | {"perfect"}, joint=True, tails=True),
    # ---- COMPLETED ------------------------------------------------------------------------------
    rule("{who?} <be> (?:all |finally |now )?(?:done|finished) with {task}",
         "who COMPLETED task", conf=0.85, tenses=STATE, joint=True, tails=True),
    rule("{who?} <get> {task} done",
         "who COMPLETED task", conf=0.8, tenses=EVENT, joint=True),
    rule(f"{{item}} <be> {_PASSIVE_DONE} by {{person}}",
         "person COMPLETED item", conf=0.85, tenses=STATE | EVENT),
    rule(f"{{who?}} {_DONE}(?: up| off| out)? {{task}}",
         "who COMPLETED task", conf=0.85, tenses=EVENT, joint=True, tails=True),
    rule("{who?} <knock_polish_check> (?:out|off) {task}",
         "who COMPLETED task", conf=0.75, tenses=EVENT, joint=True),
    # ---- REVIEWS --------------------------------------------------------------------------------
    rule("{who?} <take_have> a (?:quick |closer |close |first )?look at {thing}",
         "who REVIEWS thing", conf=0.7, tenses=ANY),
    rule("{who} <be> (?:the )?reviewer (?:for|on|of) {thing}",
         "who REVIEWS thing", conf=0.9, tenses=ONGOING),
    rule("{item} <be> (?:being )?(?:reviewed|proofread|approved) by {person}",
         "person REVIEWS item", conf=0.85, tenses=ANY),
    rule("{who?} <review_proofread_approve_critique> {thing}",
         "who REVIEWS thing", conf=0.85, tenses=ANY, joint=True, tails=True),
    rule("{who?} <look_go_read> over {thing}",
         "who REVIEWS thing", conf=0.75, tenses=ANY, joint=True),
    rule("{who?} <give> (?:some )?feedback on {thing}",
         "who REVIEWS thing", conf=0.7, tenses=ANY),
    rule("{who?} <check> {thing}",
         "who REVIEWS thing", conf=0.6, tenses=PLAN, keys=("pr", "review", "doc", "draft", "deck", "copy")),
    # ---- CREATED --------------------------------------------------------------------------------
    rule(f"{{thing}} <be> {_PASSIVE_MADE} by {{person}}",
         "person CREATED thing", conf=0.85, tenses=STATE | EVENT),
    rule("{who} <found_cofound> {org}",
         "who CREATED org", conf=0.85, tenses=EVENT),
    rule("{who?} <set_put> (?:up|together) {thing}",
         "who CREATED thing", conf=0.8, tenses=EVENT, joint=True),
    rule("{who?} <come> up with {thing}",
         "who CREATED thing", conf=0.8, tenses=EVENT, joint=True),
    rule(f"{{who?}} {_MADE} {{thing}}",
         "who CREATED thing", conf=0.85, tenses=EVENT, joint=True, tails=True),
    # ---- WORKS_ON -------------------------------------------------------------------------------
    rule("{who?} <work> on {project}(?: (?:together )?with {person})?",
         "who WORKS_ON project", "who WORKS_WITH person", "person WORKS_ON project", conf=0.9,
         tenses=ONGOING, joint=True, tails=True),
    rule(f"{{who?}} {_BUILDING} {{project}}",
         "who WORKS_ON project", conf=0.85, tenses=_NOW, joint=True, tails=True),
    rule("{who} <be> (?:busy with|involved in|staffed on|helping(?: out)? with) {project}",
         "who WORKS_ON project", conf=0.75, tenses=STATE, joint=True, tails=True),
    rule("{who} <contribute> to {project}",
         "who WORKS_ON project", conf=0.8, tenses=ONGOING, joint=True),
    # ---- RESPONSIBLE_FOR: doing a task (the past tense went to COMPLETED / CREATED above) ----------
    rule(f"{{who?}} {_DO} {{task}}",
         "who RESPONSIBLE_FOR task", conf=0.8, tenses=PLAN, joint=True, tails=True),
    rule(f"{{who?}} {_DO_THE} {_THE}{{task}}",
         "who RESPONSIBLE_FOR task", conf=0.8, tenses=PLAN, joint=True, tails=True),
    rule("{who} <be> on (?=the ){task}",
         "who RESPONSIBLE_FOR task", conf=0.6, tenses=frozenset({"present"})),
    # ---- LIVES_IN / LOCATED_IN ------------------------------------------------------------------
    rule("{who} <live_reside> in {place}",
         "who LIVES_IN place", conf=0.9, tenses=STATE),
    rule("{who?} <move_relocate> (?:back |over |here )?to {place}",
         "who LIVES_IN place", conf=0.85, tenses=EVENT),
    rule("{knownperson} <be> (?:now |currently )?(?:based|living|located) (?:in|out of) {place}",
         "knownperson LIVES_IN place", conf=0.8, tenses=STATE),
    rule("my (?:home|house|flat|apartment|place) <be> in {place}",
         "speaker LIVES_IN place", conf=0.8, tenses=STATE),
    rule("{subject} <be> (?:located|based|situated|headquartered|hosted) (?:in|out of) {place}",
         "subject LOCATED_IN place", conf=0.9, tenses=STATE),
    rule("{site} <be> (?:now )?in {city}",
         "site LOCATED_IN city", conf=0.75, tenses=STATE),
    rule("{org} <have> (?:an? |its )?(?:office|offices|hq|headquarters|branch) in {place}",
         "org LOCATED_IN place", conf=0.75, tenses=STATE),
    # ---- LIKES, DISLIKES, PREFERS (a negated LIKES is a DISLIKES) ----------------------------------
    rule("{who} <be> (?:a (?:big |huge |massive )?)?fan of {thing}",
         "who LIKES thing", conf=0.85, tenses=STATE, negated="DISLIKES"),
    rule("{who} <be> (?:really |totally )?(?:into|obsessed with|crazy about|passionate about) {thing}",
         "who LIKES thing", conf=0.75, tenses=STATE, negated="DISLIKES"),
    rule("my (?:favou?rite|fave|fav)(?: [\\w-]+){0,2} <be> {thing}",
         "speaker LIKES thing", conf=0.8),
    rule("{thing} <be> my (?:favou?rite|fave|fav)",
         "speaker LIKES thing", conf=0.8),
    # "can't stand" reads as negated; the rule states DISLIKES either way
    rule("{who} (?:can not|cannot) stand {thing}",
         "who DISLIKES thing", conf=0.85, negated="DISLIKES"),
    rule("{who?} <hate_dislike_loathe_detest_despise_abhor> {thing}",
         "who DISLIKES thing", conf=0.85, tenses=STATE),
    rule("{who?} <like_love_enjoy_adore_dig> (?:to )?{thing}",
         "who LIKES thing", conf=0.85, tenses=STATE, negated="DISLIKES"),
    rule("{who} would (?:much )?rather (?:have |use |do |go with )?{thing}",
         "who PREFERS thing", conf=0.75, modal_ok=True),
    rule("{who} <prefer> {thing}",
         "who PREFERS thing", conf=0.85, tenses=STATE, modal_ok=True),
    # ---- KNOWS ----------------------------------------------------------------------------------
    rule("{who} <know> {person} (?:from|since|through|for)",
         "who KNOWS person", conf=0.8, tenses=STATE),
    rule("{who} <know> {knownperson}",
         "who KNOWS knownperson", conf=0.8, tenses=STATE),
    rule("{who} <be> acquainted with {person}",
         "who KNOWS person", conf=0.8, tenses=STATE),
    rule("{who} <meet> {person}",
         "who KNOWS person", conf=0.7, tenses=EVENT),
    rule("{who} <meet> with {person}",
         "who KNOWS person", conf=0.6, tenses=EVENT),
    # ---- OWNS -----------------------------------------------------------------------------------
    rule("{who} <own> {thing}",
         "who OWNS thing", conf=0.85, tenses=STATE),
    rule("{thing} <belong> to {person}",
         "person OWNS thing", conf=0.75, tenses=STATE),
    rule("{who} <buy_purchase> {thing}",
         "who OWNS thing", conf=0.6, tenses=EVENT),
    # ---- DUE_ON / HAS_STATUS --------------------------------------------------------------------
    rule("{item} <be> due (?:on |by |before )?{date}",
         "item DUE_ON date", conf=0.9, tenses=ONGOING),
    rule("{item} due (?:on |by |before )?{date}",
         "item DUE_ON date", conf=0.75, keys=("due",)),
    rule(f"{{item}} {_MUST} be {_READY} (?:by|on|before) {{date}}",
         "item DUE_ON date", conf=0.85, modal_ok=True),
    rule("(?:the )?deadline (?:for|on) {item} <be> (?:on |by )?{date}",
         "item DUE_ON date", conf=0.9),
    rule("{item}'s deadline <be> (?:on |by )?{date}",
         "item DUE_ON date", conf=0.85),
    rule("{item} deadline <be> (?:on |by )?{date}",
         "item DUE_ON date", conf=0.85),
    rule("{item} <ship_launch_release> (?:on |by )?{date}",
         "item DUE_ON date", conf=0.7, tenses=ONGOING),
    rule("{item} <go> live (?:on |by )?{date}",
         "item DUE_ON date", conf=0.7, tenses=ONGOING),
    rule(f"{{item}} <be> {_STATUS_ADVERBS}(?:being )?{{status}}",
         "item HAS_STATUS status", conf=0.85, tenses=ONGOING),
    rule("{item} <get> {status}",  # "the PR got merged", not "getting ready"
         "item HAS_STATUS status", conf=0.75, tenses=EVENT),
    rule("{item}\\s*[:=-]+>? {status}$",
         "item HAS_STATUS status", conf=0.75),
    # ---- PART_OF --------------------------------------------------------------------------------
    rule(f"{{subject}} <be> (?:a |an |the )?{_PARTS} of {{whole}}",
         "subject PART_OF whole", conf=0.85, tenses=STATE),
    rule("{subject} <belong> to {whole}",
         "subject PART_OF whole", conf=0.7, tenses=STATE),
    rule("{whole} <include_contain_comprise> {subject}",
         "subject PART_OF whole", conf=0.7, tenses=STATE),
    rule("{whole} <consist> of {subject}",
         "subject PART_OF whole", conf=0.75, tenses=STATE),
    # ---- USES -----------------------------------------------------------------------------------
    rule("{who} <switch_migrate> (?:over )?to {tool}",
         "who USES tool", conf=0.85, tenses=EVENT | ONGOING, joint=True),
    rule("{who} <rely_depend> on {tool}",
         "who USES tool", conf=0.8, tenses=STATE, joint=True),
    rule("{who?} <use_utilize_utilise> {tool}",
         "who USES tool", conf=0.85, tenses=ONGOING | {"past"}, joint=True),
    rule("{subject} <use_utilize_utilise> {tool}",
         "subject USES tool", conf=0.8, tenses=STATE),
    rule("{subject} <be> (?:built|written|made|developed) (?:on|with|in|using) {tool}",
         "subject USES tool", conf=0.8, tenses=STATE | EVENT),
    rule("{who} <design_build_code_write_prototype_develop> (?:everything |things )?(?:in|with) {tool}",
         "who USES tool", conf=0.7, tenses=STATE),
)
# fmt: on

#: Every verb form any rule knows: a list item that starts "Bob took ..." is a new clause.
VERB_FORMS = frozenset(form for r in RULES for form in r.verb_kinds)
