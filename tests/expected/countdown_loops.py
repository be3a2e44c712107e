__workflow__ = {
    'WFQuickActionSurfaces': [],
    'WFWorkflowClientVersion': '''2302.0.4''',
    'WFWorkflowHasOutputFallback': False,
    'WFWorkflowHasShortcutInputVariables': False,
    'WFWorkflowIcon': plain({'WFWorkflowIconGlyphNumber': 59818, 'WFWorkflowIconStartColor': 4292093695}),
    'WFWorkflowImportQuestions': [],
    'WFWorkflowInputContentItemClasses': ['''WFAppContentItem''', '''WFAppStoreAppContentItem''', '''WFArticleContentItem''', '''WFContactContentItem''', '''WFDateContentItem''', '''WFEmailAddressContentItem''', '''WFFolderContentItem''', '''WFGenericFileContentItem''', '''WFImageContentItem''', '''WFiTunesProductContentItem''', '''WFLocationContentItem''', '''WFDCMapsLinkContentItem''', '''WFAVAssetContentItem''', '''WFPDFContentItem''', '''WFPhoneNumberContentItem''', '''WFRichTextContentItem''', '''WFSafariWebPageContentItem''', '''WFStringContentItem''', '''WFURLContentItem'''],
    'WFWorkflowMinimumClientVersion': 900,
    'WFWorkflowMinimumClientVersionString': '''900''',
    'WFWorkflowOutputContentItemClasses': [],
    'WFWorkflowTypes': ['''NCWidget''', '''WatchKit'''],
}
for Repeat_Index in range(3):
    is_workflow_actions_speaktext(WFText=f'''{Repeat_Index}''')
    is_workflow_actions_delay(WFDelayTime=1.5)
List = is_workflow_actions_list(WFItems=['''Stretch''', '''Breathe''', '''Hydrate'''])
for Repeat_Index, Repeat_Item in enumerate(List, start=1):
    is_workflow_actions_gettext(WFTextActionText=f'''Step {Repeat_Index}: {Repeat_Item} ✅''')
Repeat_Results = block_result()
Combined_Text = is_workflow_actions_text_combine(WFTextSeparator='''New Lines''', text=Repeat_Results)
is_workflow_actions_showresult(Text=f'''{Combined_Text}''')
