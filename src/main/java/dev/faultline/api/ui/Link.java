package dev.faultline.api.ui;

/** A labelled link of the web view (the label may be model text: the template escapes it). */
public record Link(String label, String href) {}
